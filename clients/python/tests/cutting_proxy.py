"""A TCP proxy that cuts its first connections after a number of bytes from the server: a real
dropped connection in the middle of an SSE stream, seen by the client as a broken read."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; connection n (0-based) is cut after
    ``cuts[n]`` bytes from upstream; connections past ``len(cuts)`` pass untouched."""

    def __init__(self, upstream_port: int, cuts: list[int]) -> None:
        self.upstream_port = upstream_port
        self.cuts = cuts
        self.connections = 0
        self.cut_done = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            n = self.connections
            self.connections += 1
            limit = self.cuts[n] if n < len(self.cuts) else None
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, limit), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                want = 4096 if limit is None else min(4096, limit - sent)
                data = src.recv(want)
                if not data:
                    break
                dst.sendall(data)
                sent += len(data)
                if limit is not None and sent >= limit:
                    self.cut_done += 1
                    break
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)


@contextlib.contextmanager
def cutting_proxy(upstream_port: int, cuts: list[int]) -> Iterator[CuttingProxy]:
    proxy = CuttingProxy(upstream_port, cuts)
    try:
        yield proxy
    finally:
        proxy.close()
