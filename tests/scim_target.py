"""A real SCIM 2.0 server for provisioning tests (the scim2-server package), and a proxy in
front of it that can fail on purpose.

Both bind 127.0.0.1 on a free port and stop with the test; the server keeps its users in
memory, so every test starts from an empty application.
"""

import http.server
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2

TOKEN = "target-secret-token"
SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Target:
    url: str
    token: str = TOKEN

    def client(self) -> httpx2.Client:
        return httpx2.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )

    def users(self) -> list[dict]:
        """Every user the application holds (straight from the server, not through the proxy)."""
        with self.client() as http:
            answer = http.get("/Users", params={"count": 1000}).json()
        return answer.get("Resources", [])

    def by_user_name(self) -> dict[str, dict]:
        users = self.users()
        names = [user["userName"] for user in users]
        assert len(names) == len(set(names)), f"an account was created twice: {sorted(names)}"
        return {user["userName"]: user for user in users}

    def active(self) -> set[str]:
        return {name for name, user in self.by_user_name().items() if user.get("active")}

    def patch(self, remote_id: str, **values) -> None:
        """Change an account behind the portal's back."""
        operations = [{"op": "replace", "path": key, "value": v} for key, v in values.items()]
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        }
        with self.client() as http:
            answer = http.patch(f"/Users/{remote_id}", json=body, headers={"Content-Type": SCIM})
        assert answer.status_code in (200, 204), answer.text

    def create(self, user_name: str, *, active: bool = True, external_id: str | None = None):
        body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": active}
        if external_id:
            body["externalId"] = external_id
        with self.client() as http:
            answer = http.post("/Users", json=body, headers={"Content-Type": SCIM})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def delete(self, remote_id: str) -> None:
        with self.client() as http:
            assert http.delete(f"/Users/{remote_id}").status_code == 204


@contextmanager
def scim_server():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scim2_server.testserver.cli",
            "--port",
            str(port),
            "--bearer-token",
            TOKEN,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target = Target(url=f"http://127.0.0.1:{port}/v2")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx2.get(f"{target.url}/ServiceProviderConfig", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("scim2-server didn't start")
            time.sleep(0.1)
        yield target
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Faults:
    """What the proxy does to the next requests that write (POST, PATCH): answer `status` to
    the next `times` of them, and delay each by `delay` seconds."""

    times: int = 0
    status: int = 503
    retry_after: str | None = "0"
    delay: float = 0.0
    seen: list[str] = field(default_factory=list)  # "METHOD path status" of every request
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _handler(upstream: str, faults: Faults):
    class Forward(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            writes = self.command in ("POST", "PATCH", "PUT", "DELETE")
            with faults.lock:
                fail = writes and faults.times > 0
                if fail:
                    faults.times -= 1
            if faults.delay and writes:
                time.sleep(faults.delay)
            if fail:
                faults.seen.append(f"{self.command} {self.path} {faults.status}")
                self.send_response(faults.status)
                if faults.retry_after is not None:
                    self.send_header("Retry-After", faults.retry_after)
                payload = b'{"detail": "Service Unavailable (injected)"}'
                self.send_header("Content-Type", SCIM)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
            }
            answer = httpx2.request(
                self.command, upstream + self.path, content=body, headers=headers, timeout=10
            )
            faults.seen.append(f"{self.command} {self.path} {answer.status_code}")
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in (
                    "content-length",
                    "transfer-encoding",
                    "connection",
                    "content-encoding",
                ):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

    return Forward


@contextmanager
def faulty_proxy(target: Target):
    """A proxy to `target` whose faults the test sets; yields (url, faults)."""
    faults = Faults()
    upstream = target.url.rsplit("/v2", 1)[0]
    server = _Proxy(("127.0.0.1", 0), _handler(upstream, faults))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2", faults
    finally:
        server.shutdown()
        server.server_close()


def unused_url() -> str:
    """A URL where nothing listens: an endpoint that is down."""
    return f"http://127.0.0.1:{free_port()}/v2"
