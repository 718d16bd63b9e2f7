"""The layers contract (pyproject.toml, checked by `make lint`) holds, and it can fail."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "accessportal",
    "admincenter",
    "api",
    "applications",
    "groups",
    "notifications",
    "provisioning",
    "scim",
    "tenants",
)


def _lint_imports(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_project(destination: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def test_the_import_graph_points_only_down(tmp_path):
    result = _lint_imports(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    project = _copy_project(tmp_path)
    with (project / "tenants" / "errors.py").open("a") as module:
        module.write("\nfrom groups import models as _upward  # noqa\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "tenants.errors -> groups.models" in result.stdout
