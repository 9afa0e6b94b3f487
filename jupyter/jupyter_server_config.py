"""pyfleet's Jupyter server configuration (loaded with ``--config``; see scripts/jupyter.sh).

TCP_NODELAY on kernel websockets: tornado's websocket is subject to Nagle + delayed ACK, which
adds ~40 ms to every execute round trip (p50 44 ms -> 4.7 ms with it, reference/environment.md).
"""

from jupyter_server.services.kernels import handlers as _kernel_handlers

c = get_config()  # noqa: F821  (provided by traitlets when this file is loaded)

_open = _kernel_handlers.ZMQChannelsHandler.open


def _open_with_nodelay(self, kernel_id, *args, **kwargs):
    self.set_nodelay(True)
    return _open(self, kernel_id, *args, **kwargs)


_kernel_handlers.ZMQChannelsHandler.open = _open_with_nodelay

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.open_browser = False
c.ServerApp.port_retries = 0
# kernels are pooled and culled by pyfleet itself; the server must not second-guess it
c.MappingKernelManager.cull_idle_timeout = 0
# the harness caps output itself (limits.max_stdout_bytes); the server's rate limiter would
# silently drop output instead
c.ServerApp.iopub_data_rate_limit = 0
c.ServerApp.iopub_msg_rate_limit = 0
c.KernelManager.shutdown_wait_time = 2.0
