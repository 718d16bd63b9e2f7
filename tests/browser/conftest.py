"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live_server.

Without a Chromium they skip with a visible notice, unless REQUIRE_BROWSER=1 (CI), where a
missing browser fails. Screenshots go to artifacts/screenshots/ (git-ignored).
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("PW_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


def _chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if browser_items and not _chromium_available():
        if REQUIRE_BROWSER:
            raise pytest.UsageError(f"REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: browser tests skipped")
        for item in browser_items:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not _chromium_available() and not REQUIRE_BROWSER:
        terminalreporter.write_line(
            f"NOTICE: browser tests were skipped: no Chromium at {CHROMIUM} "
            "(apt-get install chromium, or set PW_CHROMIUM)",
            yellow=True,
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves a full-page PNG under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, user) goes through the real sign-in form."""

    def do(page, user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    return do


@pytest.fixture
def csp_errors(page):
    """Console messages about the Content-Security-Policy (there should be none)."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors
