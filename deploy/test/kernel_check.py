"""From outside a pyfleet Jupyter server: start a kernel of SPEC, execute code, report what came back.

    python kernel_check.py BASE_URL TOKEN SPEC [CODE]

Prints one JSON object: the kernelspecs the server lists, the kernel's status, the execute
result (text/plain) or error, and the refusal of a kernelspec the server must not start.
Exit 0 when the code ran; 1 otherwise. Used by deploy/test/images.int.test.ts; runs on the
project venv (websocket-client comes from python/requirements.lock).
"""

import json
import sys
import time
import urllib.error
import urllib.request
import uuid

import websocket


def api(base: str, token: str, method: str, path: str, body: object | None = None) -> tuple[int, object]:
    req = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            raw = res.read()
            return res.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")[:300]


def execute(base: str, token: str, kernel_id: str, code: str, timeout_s: float = 60) -> dict:
    ws = websocket.create_connection(
        f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels?token={token}", timeout=timeout_s
    )
    try:
        msg_id = uuid.uuid4().hex
        ws.send(
            json.dumps(
                {
                    "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "check", "session": uuid.uuid4().hex, "version": "5.3"},
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False, "stop_on_error": True},
                    "channel": "shell",
                }
            )
        )
        out: dict = {}
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and "reply" not in out:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "execute_result":
                out["result"] = content["data"].get("text/plain")
            elif kind == "stream":
                out["stdout"] = out.get("stdout", "") + content["text"]
            elif kind == "error":
                out["error"] = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply":
                out["reply"] = content["status"]
        return out
    finally:
        ws.close()


def main() -> int:
    base, token, spec = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    code = sys.argv[4] if len(sys.argv) > 4 else "1+1"
    other = "python3-epics-write" if spec == "python3-epics-readonly" else "python3-epics-readonly"
    report: dict = {"spec": spec}
    status, specs = api(base, token, "GET", "/api/kernelspecs")
    report["kernelspecs"] = sorted(specs["kernelspecs"]) if status == 200 and isinstance(specs, dict) else [f"HTTP {status}"]
    report["refused"] = {name: api(base, token, "POST", "/api/kernels", {"name": name})[0] for name in (other, "python3")}
    started = time.monotonic()
    status, kernel = api(base, token, "POST", "/api/kernels", {"name": spec})
    if status != 201 or not isinstance(kernel, dict):
        report["start"] = f"HTTP {status}: {kernel}"
        print(json.dumps(report))
        return 1
    try:
        report.update(execute(base, token, kernel["id"], code))
        report["seconds"] = round(time.monotonic() - started, 2)
    except Exception as err:  # noqa: BLE001  (reported: the test shows it)
        report["error"] = f"{type(err).__name__}: {err}"
    finally:
        api(base, token, "DELETE", f"/api/kernels/{kernel['id']}")
    print(json.dumps(report))
    return 0 if report.get("reply") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
