"""CA server ports for simulated IOCs that never collide with another pyfleet IOC on this host.

caproto binds its UDP search port with SO_REUSEPORT (CA servers share 5064 on a real host), so two
IOCs given the same port would both bind it and each would see only some searches. A port is
therefore claimed with an exclusive ``flock`` on ``<lock dir>/<port>.lock``, held by the IOC for its
lifetime; the lock goes with the process, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import tempfile
from pathlib import Path
from typing import IO

LOCK_DIR = Path(os.environ.get("PYFLEET_IOC_LOCK_DIR") or Path(tempfile.gettempdir()) / "pyfleet-ioc-ports")


def _free(port: int, host: str) -> bool:
    """True when both TCP and UDP `port` can be bound on `host` right now (no reuse flags)."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def _ephemeral() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _lock(port: int) -> IO[bytes] | None:
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    handle = open(LOCK_DIR / f"{port}.lock", "wb")  # noqa: SIM115  (held for the IOC's life)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def claim_port(port: int = 0, host: str = "127.0.0.1", attempts: int = 50) -> tuple[int, IO[bytes]]:
    """Claims `port` (0 = any free one) for this process.

    :returns: the port and the lock file handle (keep it open while serving).
    :raises OSError: when the given port is in use, or no free port was found.
    """
    if port:
        handle = _lock(port)
        if handle is None or not _free(port, host):
            if handle is not None:
                handle.close()
            raise OSError(
                f"CA server port {port} is in use on {host} (another IOC or program); pick another or --port 0"
            )
        return port, handle
    for _ in range(attempts):
        candidate = _ephemeral()
        handle = _lock(candidate)
        if handle is None:
            continue
        if _free(candidate, host):
            return candidate, handle
        handle.close()
    raise OSError(f"no free CA server port on 127.0.0.1 after {attempts} tries")


def release(handle: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        handle.close()
