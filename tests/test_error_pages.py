"""The product's own 400, 403, 404 and 500 pages, in the demo too (`make run`, DEMO=1)."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests import processes


@pytest.mark.django_db
def test_403_404_and_500_are_the_products_pages(client, member, settings):
    settings.ROOT_URLCONF = "tests.error_urls"
    client.force_login(member)
    forbidden = client.get("/admin-center/")
    assert forbidden.status_code == 403
    assert "You can't do this" in forbidden.content.decode()
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "There's nothing here" in missing.content.decode()
    client.raise_request_exception = False
    failed = client.get("/boom/")
    assert failed.status_code == 500
    html = failed.content.decode()
    assert "Something went wrong" in html and "Back to My groups" in html
    assert "a bug" not in html and "Traceback" not in html


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


@pytest.mark.django_db(transaction=True)
def test_the_demo_server_shows_the_products_404_not_djangos_debug_page():
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")},
        "DEMO": "1",
        "DATABASE_URL": processes.test_database_url(),
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=processes.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                status, _, _ = _get(f"{base}/accounts/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert status == 200
        status, html, _ = _get(f"{base}/no-such-page/")
        assert status == 404
        assert "There's nothing here" in html
        assert "URLconf" not in html and "admin-center/" not in html  # no list of URL patterns
        status, css, headers = _get(f"{base}/static/css/app.css")  # static files still served
        assert status == 200 and ".app-navbar" in css
        _, _, headers = _get(f"{base}/accounts/login/")
        assert "secure" not in headers.get("Set-Cookie", "").lower()  # plain HTTP on localhost
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_demo_mode_is_for_this_machine_only():
    error = processes.django_setup_error(DEMO="1", ALLOWED_HOSTS="panel.example.com")
    assert "DEMO=1 is for this machine only" in error
