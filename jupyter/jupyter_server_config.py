"""pyfleet's Jupyter server configuration (loaded with ``--config``; see scripts/jupyter.sh).

TCP_NODELAY on kernel websockets: tornado's websocket is subject to Nagle + delayed ACK, which
adds ~40 ms to every execute round trip (p50 44 ms -> 4.7 ms with it, reference/environment.md).
"""

try:  # jupyter_server 2.x (the project venv): the kernel websocket lives in its own module
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler as _KernelWs
except ImportError:  # jupyter_server 1.x (Debian's python3-jupyter-server, deploy images)
    from jupyter_server.services.kernels.handlers import ZMQChannelsHandler as _KernelWs

c = get_config()  # noqa: F821  (provided by traitlets when this file is loaded)

_open = _KernelWs.open


def _open_with_nodelay(self, kernel_id, *args, **kwargs):
    self.set_nodelay(True)
    return _open(self, kernel_id, *args, **kwargs)


_KernelWs.open = _open_with_nodelay

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.open_browser = False
c.ServerApp.port_retries = 0
# Kernels are pooled and culled by pyfleet, which keeps a websocket open to every kernel it owns.
# A kernel nobody is connected to belongs to an executor that died: the server culls it, busy or
# not, so code never runs on unowned (a write must not land after its run was settled by a human).
c.MappingKernelManager.cull_idle_timeout = 120
c.MappingKernelManager.cull_interval = 30
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = True
# the harness caps output itself (limits.max_stdout_bytes); the server's rate limiter would
# silently drop output instead
c.ServerApp.iopub_data_rate_limit = 0
c.ServerApp.iopub_msg_rate_limit = 0
c.KernelManager.shutdown_wait_time = 2.0
# ZMQ over IPC sockets: a sandboxed kernel (jupyter/pyfleet_kernel.py) has no network at all, so
# the server reaches it through Unix sockets the launcher links into the kernel's private folder.
c.KernelManager.transport = "ipc"


# The CA gate of a sandboxed kernel (jupyter/pyfleet_kernel.py) is driven per run by the executor:
# `POST /pyfleet/kernels/<id>/gate {"op":"begin","manifest":...}` before the run's code,
# `{"op":"end"}` after it (the gate's record). The request is relayed to the launcher's control
# socket beside the kernel's connection file; only holders of the server's token reach it, and
# the sandboxed kernel sees neither the token, the server nor that socket.
import asyncio as _asyncio  # noqa: E402
import json as _json  # noqa: E402
import os as _os  # noqa: E402

from jupyter_server.base.handlers import APIHandler as _APIHandler  # noqa: E402
from jupyter_server.serverapp import ServerApp as _ServerApp  # noqa: E402
from jupyter_server.utils import url_path_join as _url_path_join  # noqa: E402
from tornado import web as _web  # noqa: E402

#: begin waits for writes still in flight (≤ 2 s at the gate); end as well
_GATE_REPLY_TIMEOUT_S = 15


class _KernelGateHandler(_APIHandler):
    @_web.authenticated
    async def post(self, kernel_id):
        if kernel_id not in self.kernel_manager:
            raise _web.HTTPError(404, f"no kernel {kernel_id}")
        body = self.get_json_body() or {}
        if body.get("op") not in ("begin", "end"):
            raise _web.HTTPError(400, 'body.op must be "begin" or "end"')
        connection_file = self.kernel_manager.get_kernel(kernel_id).connection_file
        path = _os.path.splitext(_os.path.abspath(connection_file))[0] + "-gate.sock"
        if not _os.path.exists(path):
            # unsandboxed (PYFLEET_KERNEL_SANDBOX=off) or without EPICS_CA_ADDR_LIST: no gate to drive
            self.finish(_json.dumps({"gate": False, "reason": "the kernel has no CA gate (not sandboxed, or no EPICS_CA_ADDR_LIST)"}))
            return
        try:
            reader, writer = await _asyncio.open_unix_connection(path)
            try:
                writer.write((_json.dumps(body) + "\n").encode())
                await writer.drain()
                line = await _asyncio.wait_for(reader.readline(), _GATE_REPLY_TIMEOUT_S)
            finally:
                writer.close()
            reply = _json.loads(line)
        except (OSError, ValueError, _asyncio.TimeoutError) as err:
            raise _web.HTTPError(502, f"the kernel's CA gate did not answer: {type(err).__name__}: {err}") from err
        if not reply.get("ok"):
            raise _web.HTTPError(502, f"the kernel's CA gate refused the request: {reply.get('error')}")
        self.finish(_json.dumps({"gate": True, **reply}))


_init_webapp = _ServerApp.init_webapp


def _init_webapp_with_gate(self, *args, **kwargs):
    _init_webapp(self, *args, **kwargs)
    route = _url_path_join(self.base_url, r"/pyfleet/kernels/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)/gate")
    self.web_app.add_handlers(".*$", [(route, _KernelGateHandler)])


_ServerApp.init_webapp = _init_webapp_with_gate
