"""Command line of the simulated IOC.

    python -m pyfleet_sim serve [--config FILE] [--port N] [--host ADDR] [--put-log FILE]
        Serves the ring on 127.0.0.1 or ADDR (CA server port N; 0 = a free one). Prints one JSON line on
        stdout when it answers: {"event": "ready", "port": N, "pvs": K, "put_log": PATH,
        "env": {EPICS_CA_* a client needs}}. SIGTERM/SIGINT stop it.
    python -m pyfleet_sim get PV [PV ...] [--timeout S]
        Reads PVs with pyepics using the EPICS_CA_* of the environment; prints {"PV": value|null}.
    python -m pyfleet_sim check [--config FILE]
        Checks a PV database file; exit 1 with the field and the fix when it is wrong.
Exit codes: 0 ok, 1 bad config or unreadable PV, 2 bad arguments, 3 port in use.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from .config import ConfigError, load_config

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "storage-ring.yml"


def client_env(port: int, repeater_port: int) -> dict[str, str]:
    """What a Channel Access client needs to find this IOC, and nothing else on the network."""
    return {
        "EPICS_CA_ADDR_LIST": f"127.0.0.1:{port}",
        "EPICS_CA_AUTO_ADDR_LIST": "NO",
        "EPICS_CA_SERVER_PORT": str(port),
        "EPICS_CA_REPEATER_PORT": str(repeater_port),
    }


def _start_repeater(port: int) -> None:
    """A CA repeater on 127.0.0.1:`port`, in a daemon thread of the IOC.

    libca starts a `caRepeater` process from PATH when nothing holds its repeater port, and prints
    four lines to the user's stderr when there is none (the pyepics wheel ships no such binary).
    With this one running, clients given EPICS_CA_REPEATER_PORT register with it instead.
    """
    from caproto.sync import repeater  # noqa: PLC0415

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    threading.Thread(target=repeater._run_repeater, args=(sock, ("127.0.0.1", port)), daemon=True).start()


def _server_env(port: int, host: str) -> None:
    """Keeps every CA packet of the IOC on loopback.

    caproto binds to EPICS_CAS_INTF_ADDR_LIST (127.0.0.1 unless --host says otherwise, e.g. 0.0.0.0
    in the compose `ioc` container, whose network is internal). Beacons are switched off: caproto sends them to
    the beacon list or, when that is empty, to 255.255.255.255 (traffic off the host), and a
    beacon to 127.0.0.1 with no CA repeater listening only fails noisily. Clients find the IOC
    by searching EPICS_CA_ADDR_LIST; beacons only speed up reconnects after a restart.
    """
    import caproto  # noqa: PLC0415

    os.environ.update(
        {"EPICS_CA_SERVER_PORT": str(port), "EPICS_CAS_SERVER_PORT": str(port), "EPICS_CAS_INTF_ADDR_LIST": host}
    )
    caproto.get_beacon_address_list = lambda **_kwargs: []


class _DropCountedRefusals(logging.Filter):
    """caproto logs every refused put with a traceback; the put log already records it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (exc is not None and type(exc).__name__ in ("PutRefused", "CannotExceedLimits"))


def _quiet_refusals() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_DropCountedRefusals())
    handler.setFormatter(logging.Formatter("pyfleet_sim %(levelname)s %(name)s: %(message)s"))
    caproto_log = logging.getLogger("caproto")
    caproto_log.addHandler(handler)
    caproto_log.setLevel(logging.WARNING)
    caproto_log.propagate = False


async def _serve(args: argparse.Namespace) -> int:
    from caproto.asyncio.server import Context  # noqa: PLC0415  (after the env is set)

    from .channels import PutLog  # noqa: PLC0415
    from .machine import Ring  # noqa: PLC0415
    from .ports import claim_port, release  # noqa: PLC0415

    config = load_config(args.config)
    try:
        port, lock = claim_port(args.port, args.host)
        repeater_port, repeater_lock = claim_port(0)
    except OSError as exc:
        print(f"pyfleet_sim: {exc}", file=sys.stderr)
        return 3
    _server_env(port, args.host)
    _start_repeater(repeater_port)
    _quiet_refusals()
    put_log = PutLog(args.put_log)
    ring = Ring(config, put_log)
    ctx = Context(ring.pvdb, interfaces=[args.host])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def ready(_async_lib: Any) -> None:
        line = {
            "event": "ready",
            "port": ctx.port,
            "pvs": len(ring.pvdb),
            "put_log": args.put_log,
            "env": client_env(port, repeater_port),
        }
        print(json.dumps(line), flush=True)

    server = asyncio.create_task(ctx.run(startup_hook=ready))
    model = asyncio.create_task(ring.run())
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({server, model, stopper}, return_when=asyncio.FIRST_COMPLETED)
    for task in (server, model, stopper):
        task.cancel()
    for task in (server, model):
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    put_log.close()
    release(lock)
    release(repeater_lock)
    failed = [t for t in done if t is not stopper and not t.cancelled() and t.exception() is not None]
    if failed:
        print(f"pyfleet_sim: stopped on an error: {failed[0].exception()!r}", file=sys.stderr)
        return 1
    return 0


def _get(args: argparse.Namespace) -> int:
    import epics  # noqa: PLC0415  (only this subcommand needs libca)

    values: dict[str, Any] = {}
    for pv in args.pvs:
        value = epics.caget(pv, timeout=args.timeout, as_string=False)
        values[pv] = value.tolist() if hasattr(value, "tolist") else value
    print(json.dumps(values))
    return 0 if all(v is not None for v in values.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyfleet_sim", description="pyfleet's simulated storage ring (caproto IOC)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the ring on 127.0.0.1")
    serve.add_argument("--config", default=str(DEFAULT_CONFIG), help="PV database (YAML); default sim/storage-ring.yml")
    serve.add_argument("--port", type=int, default=0, help="CA server port (UDP search + TCP); 0 = a free one")
    serve.add_argument("--host", default="127.0.0.1", help="interface to serve on; default 127.0.0.1 (loopback only)")
    serve.add_argument("--put-log", default=None, help="append one JSON line per put to this file")
    get = sub.add_parser("get", help="read PVs with pyepics (EPICS_CA_* from the environment)")
    get.add_argument("pvs", nargs="+")
    get.add_argument("--timeout", type=float, default=5.0)
    check = sub.add_parser("check", help="check a PV database file")
    check.add_argument("--config", default=str(DEFAULT_CONFIG))
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            if not 0 <= args.port <= 65535:
                parser.error("--port must be 0..65535")
            return asyncio.run(_serve(args))
        if args.command == "check":
            config = load_config(args.config)
            counts = f"{len(config.magnets)} magnets, {len(config.bpms)} BPMs, {len(config.gauges)} gauges"
            print(f"{args.config}: ok ({counts})")
            return 0
        return _get(args)
    except ConfigError as exc:
        print(f"pyfleet_sim: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
