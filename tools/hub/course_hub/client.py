"""A small HTTP/websocket client for the hub, as a student's browser would talk to it.

Used by the hub test (`tools/hub_test.py`) and the load run (`tools/hub/load.py`): log in with the
form, start the server through the hub's REST API, talk to the single-user server's REST API
(contents, sessions, the Submit endpoint) with a token of that user, and run code in a kernel over
the Jupyter websocket protocol (what JupyterLab does). Standard library + tornado only.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class HubError(RuntimeError):
    pass


class Response:
    def __init__(self, status: int, body: bytes, url: str):
        self.status, self.body, self.url = status, body, url

    def json(self):
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Session:
    """One browser-like session against the hub at `base` (http://127.0.0.1:PORT)."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token: str | None = None
        self.name: str | None = None

    def _cookie(self, name: str, path_prefix: str = "") -> str | None:
        for c in self.jar:
            if c.name == name and (not path_prefix or c.path.startswith(path_prefix)):
                return c.value
        return None

    def request(self, method: str, path: str, body=None, headers=None, token: bool = False,
                timeout: float = 60) -> Response:
        url = path if path.startswith("http") else self.base + path
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = body
        if token and self.token:
            hdrs["Authorization"] = f"token {self.token}"
        else:
            xsrf = self._cookie("_xsrf")
            if xsrf:
                hdrs["X-XSRFToken"] = xsrf
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Response(r.status, r.read(), r.geturl())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.read(), url)

    # --- the hub ----------------------------------------------------------------------------
    def login(self, name: str, password: str) -> Response:
        self.request("GET", "/hub/login")
        form = urllib.parse.urlencode({"username": name, "password": password,
                                       "_xsrf": self._cookie("_xsrf") or ""}).encode()
        r = self.request("POST", "/hub/login?next=/hub/home", body=form,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        if r.status == 200 and self._cookie("jupyterhub-hub-login"):
            self.name = name
        return r

    def get_token(self) -> str:
        r = self.request("POST", f"/hub/api/users/{self.name}/tokens", body={"note": "course test"})
        if r.status not in (200, 201):
            raise HubError(f"token for {self.name}: HTTP {r.status} {r.text[:300]}")
        self.token = r.json()["token"]
        return self.token

    def start_server(self, timeout: float = 180) -> dict:
        r = self.request("POST", f"/hub/api/users/{self.name}/server", token=True)
        if r.status not in (201, 202, 400):  # 400: already running
            raise HubError(f"spawn {self.name}: HTTP {r.status} {r.text[:300]}")
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            u = self.request("GET", f"/hub/api/users/{self.name}", token=True).json()
            srv = (u.get("servers") or {}).get("", {})
            if srv.get("ready"):
                return u
            time.sleep(0.5)
        raise HubError(f"{self.name}'s server not ready after {timeout} s")

    def stop_server(self) -> int:
        return self.request("DELETE", f"/hub/api/users/{self.name}/server", token=True).status

    # --- the student's own server -----------------------------------------------------------
    def user(self, path: str) -> str:
        return f"/user/{self.name}/{path.lstrip('/')}"

    def api(self, method: str, path: str, body=None, timeout: float = 60) -> Response:
        return self.request(method, self.user(path), body=body, token=True, timeout=timeout)

    def ws_url(self, path: str) -> str:
        return self.base.replace("http", "ws", 1) + self.user(path)


async def _execute(ws_url: str, token: str, code_cells: list[str], timeout: float) -> list[dict]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"},
                                               connect_timeout=timeout, request_timeout=timeout))
    session = uuid.uuid4().hex
    results = []
    try:
        for code in code_cells:
            msg_id = uuid.uuid4().hex
            msg = {"header": {"msg_id": msg_id, "username": "test", "session": session,
                              "msg_type": "execute_request", "version": "5.3",
                              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                   "parent_header": {}, "metadata": {}, "channel": "shell",
                   "content": {"code": code, "silent": False, "store_history": True,
                               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}
            await conn.write_message(json.dumps(msg))
            outputs, reply, idle, t0 = [], None, False, time.monotonic()
            while not (idle and reply is not None):
                left = timeout - (time.monotonic() - t0)
                if left <= 0:
                    raise HubError(f"cell timed out after {timeout} s: {code[:80]!r}")
                raw = await asyncio.wait_for(conn.read_message(), left)
                if raw is None:
                    raise HubError("the kernel's websocket closed")
                m = json.loads(raw)
                if m.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                t = m["header"]["msg_type"]
                if m.get("channel") == "shell" and t == "execute_reply":
                    reply = m["content"]
                elif t == "status" and m["content"]["execution_state"] == "idle":
                    idle = True
                elif t == "stream":
                    outputs.append({"output_type": "stream", "name": m["content"]["name"],
                                    "text": m["content"]["text"]})
                elif t in ("display_data", "execute_result"):
                    o = {"output_type": t, "data": m["content"]["data"],
                         "metadata": m["content"].get("metadata", {})}
                    if t == "execute_result":
                        o["execution_count"] = m["content"].get("execution_count")
                    outputs.append(o)
                elif t == "error":
                    outputs.append({"output_type": "error", "ename": m["content"]["ename"],
                                    "evalue": m["content"]["evalue"],
                                    "traceback": m["content"]["traceback"]})
            results.append({"outputs": outputs, "reply": reply,
                            "seconds": time.monotonic() - t0})
    finally:
        conn.close()
    return results


def execute(s: Session, kernel_id: str, code_cells: list[str], timeout: float = 180) -> list[dict]:
    """Run cells one after another in a kernel of `s`'s server; outputs and replies per cell."""
    return asyncio.run(_execute(s.ws_url(f"api/kernels/{kernel_id}/channels"), s.token, code_cells, timeout))


def start_kernel(s: Session, notebook_path: str) -> str:
    """A session for `notebook_path` (so the kernel runs in its folder, as JupyterLab starts it)."""
    r = s.api("POST", "api/sessions", body={"path": notebook_path, "type": "notebook", "name": "",
                                            "kernel": {"name": "rust"}})
    if r.status not in (200, 201):
        raise HubError(f"session for {notebook_path}: HTTP {r.status} {r.text[:300]}")
    return r.json()["kernel"]["id"]
