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
