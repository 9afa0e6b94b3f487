"""pyfleet's Channel Access gate: the only CA server a sandboxed run can reach (docs/security.md).

It runs outside every sandbox, as the sandboxes' own host uid (never root: the executor starts it
as `execution.sandbox.run_as` when it is root itself), and is driven over stdin/stdout (one JSON
object per line). For each run it is asked to `attach` to the run's sandbox: it enters the
sandbox's network namespace in a short-lived thread (setns(2) changes only that thread), binds
UDP and TCP sockets on the sandbox's 127.0.0.1:5064 there, and serves them from its own network
namespace, where the real CA servers are. User code keeps using unmodified pyepics or caproto
(`EPICS_CA_ADDR_LIST=127.0.0.1`); nothing in its process can reach a CA server any other way.

Per CA message (caproto's sans-I/O parser, one upstream circuit per client circuit):
- searches are forwarded upstream; replies point the client at a gate listener in the sandbox;
- reads, monitors, channel creation and clearing pass;
- read_only: every WRITE / WRITE_NOTIFY is refused (never forwarded) and access rights reported to
  the client have the write bit cleared;
- write_access: a write passes only for a PV in the run's manifest, with every value inside the
  manifest's limits; it is forwarded as WRITE_NOTIFY, so the gate learns the server's true status,
  then read back. Each write, refused or performed, is recorded; `detach` returns the record.
- anything the gate does not know is dropped with its circuit.

Protocol (stdin → stdout; replies carry the request's `id`):
  {"id":1,"op":"attach","pid":N,"mode":"read_only"|"write_access","manifest":{"PV":{"low":0,"high":150}}|null}
    (manifest null: any PV, no limits; only for write runs the operator lets run without a manifest)
    → {"id":1,"ok":true,"session":"s1"}
  {"id":2,"op":"detach","session":"s1"} → {"id":2,"ok":true,"writes":[...],"refused":[...]}
  {"id":4,"op":"policy","session":"s1","manifest":{...}|null}  (write sessions: the next run's manifest)
    → {"id":4,"ok":true}
  {"id":5,"op":"take","session":"s1"} → {"id":5,"ok":true,"writes":[...],"refused":[...]}
    (what the session saw since the last take, after writes in flight got their answer (≤ 2 s);
    the session stays attached)
  Each refusal carries `code`: WRITE_IN_READ_ONLY, WRITE_NOT_IN_MANIFEST or WRITE_OUT_OF_LIMITS.
  A long-lived sandbox (the fork server's parent) keeps one session and takes its record per run.
  {"id":3,"op":"ping"} → {"id":3,"ok":true}
Start: python pyfleet_ca_gate.py --upstream HOST:PORT [--upstream HOST:PORT ...]
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import itertools
import json
import math
import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

import caproto as ca
from caproto._commands import read_datagram, read_from_bytestream

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
#: ioctl on a namespace fd: an fd of the user namespace that owns it
NS_GET_USERNS = 0xB701
CA_PORT = 5064
#: libca registers with a CA repeater on this port (EPICS_CA_REPEATER_PORT in the sandbox); the gate
#: confirms the registration so libca does not try to start a caRepeater process in the sandbox
REPEATER_PORT = 5065
#: ioids at and above this are the gate's own (write status, readback); their replies never reach the client
GATE_IOID_BASE = 0x7F000000
MAX_BUFFER = 64 * 1024 * 1024
#: how long taking a record waits for writes still in flight (their server status and read-back)
SETTLE_S = 2.0

_libc = ctypes.CDLL(None, use_errno=True)

#: client → server commands the gate understands; anything else ends the circuit
PASS_FROM_CLIENT = (
    ca.VersionRequest,
    ca.CreateChanRequest,
    ca.ClearChannelRequest,
    ca.ReadNotifyRequest,
    ca.ReadRequest,
    ca.ReadSyncRequest,
    ca.EventAddRequest,
    ca.EventCancelRequest,
    ca.EventsOffRequest,
    ca.EventsOnRequest,
    ca.EchoRequest,
)


def log(msg: str) -> None:
    sys.stderr.write(f"pyfleet_ca_gate: {msg}\n")
    sys.stderr.flush()


def _bind(kind: int, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    s.setblocking(False)
    return s


def sockets_in_netns(pid: int, ports: list[tuple[int, int]]) -> list[socket.socket]:
    """Binds sockets on 127.0.0.1 inside the network namespace of `pid` ((type, port) pairs).

    As root: a short-lived thread enters the namespace (setns(2) changes only that thread).
    Unprivileged (the gate runs as the same host uid as the sandboxes, which owns their user
    namespaces): a forked, single-threaded helper joins the user namespace that owns the network
    namespace (where that uid holds every capability), then the network namespace, binds there and
    hands the sockets back over SCM_RIGHTS. setns into a network namespace needs CAP_SYS_ADMIN in
    the caller's own user namespace, which an unprivileged gate only has after joining that one.
    """
    return _bind_in_thread(pid, ports) if os.geteuid() == 0 else _bind_in_helper(pid, ports)


def _bind_in_thread(pid: int, ports: list[tuple[int, int]]) -> list[socket.socket]:
    out: list[socket.socket] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the sandbox's network failed")
            finally:
                os.close(fd)
            out.extend(_bind(kind, port) for kind, port in ports)
        except BaseException as err:  # noqa: BLE001  (re-raised in the caller's thread)
            errors.append(err)

    # the thread ends inside the sandbox's namespace; the gate's own threads never enter it
    t = threading.Thread(target=work, name=f"netns-{pid}")
    t.start()
    t.join()
    if errors:
        for s in out:
            s.close()
        raise errors[0]
    return out


def _bind_in_helper(pid: int, ports: list[tuple[int, int]]) -> list[socket.socket]:
    net = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    ours, theirs = socket.socketpair()
    try:
        child = os.fork()
        if child == 0:
            status = 1
            try:
                owner = fcntl.ioctl(net, NS_GET_USERNS)
                if _libc.setns(owner, CLONE_NEWUSER) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the sandbox's user namespace failed")
                if _libc.setns(net, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the sandbox's network failed")
                socks = [_bind(kind, port) for kind, port in ports]
                socket.send_fds(theirs, [b"ok"], [s.fileno() for s in socks])
                status = 0
            except BaseException as err:  # noqa: BLE001  (reported to the gate, which raises it)
                try:
                    theirs.sendall(f"{type(err).__name__}: {err}".encode())
                except BaseException:  # noqa: BLE001, S110
                    pass
            finally:
                os._exit(status)
        theirs.close()
        msg, fds, _, _ = socket.recv_fds(ours, 4096, len(ports))
        os.waitpid(child, 0)
        if msg != b"ok" or len(fds) != len(ports):
            for fd in fds:
                os.close(fd)
            raise OSError(f"the gate's namespace helper failed: {msg.decode(errors='replace') or 'no answer'}")
        out = [socket.socket(fileno=fd) for fd in fds]
        for s in out:
            s.setblocking(False)
        return out
    finally:
        os.close(net)
        ours.close()
        theirs.close()


def values_of(cmd: Any) -> list[Any]:
    data = cmd.data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return [bytes(data).rstrip(b"\x00").decode("latin-1")]
    try:
        return [v.decode("latin-1") if isinstance(v, bytes) else (v.item() if hasattr(v, "item") else v) for v in data]
    except TypeError:
        return [data]


def jsonable(values: list[Any]) -> Any:
    clean = [v if isinstance(v, (int, str)) or (isinstance(v, float) and math.isfinite(v)) else str(v) for v in values]
    return clean[0] if len(clean) == 1 else clean


@dataclass
class Session:
    id: str
    pid: int
    mode: str
    #: PV → limits; None admits any PV (a write run the operator lets run without a manifest)
    manifest: dict[str, dict[str, float]] | None
    writes: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    listeners: dict[tuple[str, int], int] = field(default_factory=dict)  # upstream server → sandbox port
    servers: list[asyncio.AbstractServer] = field(default_factory=list)
    transports: list[asyncio.BaseTransport] = field(default_factory=list)
    circuits: set[Circuit] = field(default_factory=set)
    closed: bool = False

    def judge(self, pv: str | None, values: list[Any]) -> tuple[str, str] | None:
        """Why this write is refused, as (error code, reason), or None when it may pass."""
        if self.mode != "write_access":
            return "WRITE_IN_READ_ONLY", "read-only run: the CA gate refuses every write"
        if self.manifest is None:
            return None if pv is not None else ("WRITE_NOT_IN_MANIFEST", "write to an unknown channel")
        if pv is None or pv not in self.manifest:
            return "WRITE_NOT_IN_MANIFEST", f"{pv} is not in the approved write manifest"
        limits = self.manifest[pv]
        for v in values:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                if "low" in limits or "high" in limits:
                    return "WRITE_OUT_OF_LIMITS", f"{pv}: value {v!r} is not a number (the manifest sets limits)"
                continue
            if not math.isfinite(v):
                return "WRITE_OUT_OF_LIMITS", f"{pv}: value {v!r} is not finite"
            if "low" in limits and v < limits["low"]:
                return "WRITE_OUT_OF_LIMITS", f"{pv}: value {v} is below the manifest's limit {limits['low']}"
            if "high" in limits and v > limits["high"]:
                return "WRITE_OUT_OF_LIMITS", f"{pv}: value {v} is above the manifest's limit {limits['high']}"
        return None

    def in_flight(self) -> bool:
        """True while a write (or its read-back) the gate forwarded has no answer yet."""
        return any(c.pending for c in self.circuits)

    async def settle(self, timeout_s: float) -> None:
        """Waits (at most `timeout_s`) until every forwarded write has its answer and read-back,
        so a record taken now holds the true outcome of every write made so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.in_flight() and loop.time() < deadline:
            await asyncio.sleep(0.01)

    def take(self) -> dict[str, list[dict[str, Any]]]:
        """What the session saw since the last take (or attach); it stays attached."""
        record = {"writes": self.writes, "refused": self.refused}
        self.writes, self.refused = [], []
        return record


class Circuit:
    """One client TCP circuit inside a sandbox ↔ one upstream circuit to a real CA server."""

    def __init__(self, session: Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: tuple[str, int]):
        self.s = session
        self.client_r, self.client_w = reader, writer
        self.upstream = upstream
        self.up_w: asyncio.StreamWriter | None = None
        self.names_by_cid: dict[int, str] = {}
        self.chan_by_sid: dict[int, tuple[str, int, int]] = {}  # sid → (name, native type, count)
        self.cid_by_sid: dict[int, int] = {}
        self.pending: dict[int, dict[str, Any]] = {}  # gate ioid → write in flight
        self.ioids = itertools.count(GATE_IOID_BASE)

    async def run(self) -> None:
        try:
            up_r, self.up_w = await asyncio.open_connection(*self.upstream)
        except OSError as err:
            log(f"session {self.s.id}: upstream {self.upstream} unreachable: {err}")
            self.client_w.close()
            return
        tasks = [asyncio.ensure_future(self.from_client()), asyncio.ensure_future(self.from_server(up_r))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        self.close()

    def close(self) -> None:
        for w in (self.client_w, self.up_w):
            if w is not None:
                w.close()

    async def from_client(self) -> None:
        buf = bytearray()
        while True:
            chunk = await self.client_r.read(65536)
            if not chunk:
                return
            buf += chunk
            if len(buf) > MAX_BUFFER:
                return
            while True:
                rest, cmd, _ = read_from_bytestream(buf, ca.CLIENT)
                if cmd is ca.NEED_DATA:
                    break
                buf = bytearray(rest)
                if not self.on_client(cmd):
                    return
            await self.client_w.drain()
            assert self.up_w is not None
            await self.up_w.drain()

    def on_client(self, cmd: Any) -> bool:
        assert self.up_w is not None
        if isinstance(cmd, (ca.WriteRequest, ca.WriteNotifyRequest)):
            self.on_write(cmd)
            return True
        if isinstance(cmd, ca.HostNameRequest):
            self.up_w.write(bytes(ca.HostNameRequest("pyfleet-gate")))
            return True
        if isinstance(cmd, ca.ClientNameRequest):
            self.up_w.write(bytes(ca.ClientNameRequest(f"pyfleet-{self.s.id}")))
            return True
        if not isinstance(cmd, PASS_FROM_CLIENT):
            log(f"session {self.s.id}: dropping a circuit that sent {type(cmd).__name__}")
            return False
        if isinstance(cmd, ca.CreateChanRequest):
            self.names_by_cid[cmd.cid] = cmd.name
        if isinstance(cmd, (ca.ReadNotifyRequest, ca.EventAddRequest, ca.ReadRequest)) and cmd.header.parameter2 >= GATE_IOID_BASE:
            return False  # the gate's ioid space is its own
        self.up_w.write(bytes(cmd))
        return True

    def on_write(self, cmd: Any) -> None:
        assert self.up_w is not None
        chan = self.chan_by_sid.get(cmd.sid)
        pv = chan[0] if chan else None
        values = values_of(cmd)
        verdict = self.s.judge(pv, values)
        notify = isinstance(cmd, ca.WriteNotifyRequest)
        if verdict is not None:
            code, reason = verdict
            self.s.refused.append({"pv": pv, "value": jsonable(values), "reason": reason, "code": code})
            status = ca.CAStatus.ECA_NOWTACCESS
            if notify:
                self.client_w.write(bytes(ca.WriteNotifyResponse(cmd.data_type, cmd.data_count, status, cmd.ioid)))
            else:
                self.client_w.write(bytes(ca.ErrorResponse(cmd, self.cid_by_sid.get(cmd.sid, 0), status, reason)))
            return
        ioid = next(self.ioids)
        self.pending[ioid] = {"pv": pv, "value": jsonable(values), "client_ioid": cmd.ioid if notify else None, "cmd": cmd}
        self.up_w.write(bytes(ca.WriteNotifyRequest(cmd.data, cmd.data_type, cmd.data_count, cmd.sid, ioid)))

    async def from_server(self, up_r: asyncio.StreamReader) -> None:
        buf = bytearray()
        while True:
            chunk = await up_r.read(65536)
            if not chunk:
                return
            buf += chunk
            while True:
                rest, cmd, _ = read_from_bytestream(buf, ca.SERVER)
                if cmd is ca.NEED_DATA:
                    break
                buf = bytearray(rest)
                self.on_server(cmd)
            await self.client_w.drain()

    def on_server(self, cmd: Any) -> None:
        assert self.up_w is not None
        if isinstance(cmd, ca.CreateChanResponse):
            name = self.names_by_cid.get(cmd.cid)
            if name is not None:
                self.chan_by_sid[cmd.sid] = (name, cmd.data_type, cmd.data_count)
                self.cid_by_sid[cmd.sid] = cmd.cid
        elif isinstance(cmd, ca.AccessRightsResponse):
            name = self.names_by_cid.get(cmd.cid)
            rights = int(cmd.access_rights)
            if self.s.mode != "write_access" or (self.s.manifest is not None and name not in self.s.manifest):
                rights &= ~int(ca.AccessRights.WRITE)
            cmd = ca.AccessRightsResponse(cmd.cid, ca.AccessRights(rights))
        elif isinstance(cmd, ca.WriteNotifyResponse) and cmd.ioid in self.pending:
            w = self.pending.pop(cmd.ioid)
            ok = cmd.status == ca.CAStatus.ECA_NORMAL or getattr(cmd.status, "name", "") == "ECA_NORMAL"
            status = getattr(cmd.status, "name", str(cmd.status))
            record = {"pv": w["pv"], "value": w["value"], "outcome": "performed" if ok else "failed", "status": status}
            self.s.writes.append(record)
            if w["client_ioid"] is not None:
                self.client_w.write(bytes(ca.WriteNotifyResponse(cmd.data_type, cmd.data_count, cmd.status, w["client_ioid"])))
            src = w["cmd"]
            chan = self.chan_by_sid.get(src.sid)
            rb = next(self.ioids)
            self.pending[rb] = {"readback_of": record}
            self.up_w.write(bytes(ca.ReadNotifyRequest(chan[1] if chan else src.data_type, chan[2] if chan else src.data_count, src.sid, rb)))
            return
        elif isinstance(cmd, ca.ErrorResponse) and cmd.original_request.parameter2 in self.pending:
            # the server refused one of the gate's own requests (a write it forwarded, or its read-back)
            w = self.pending.pop(cmd.original_request.parameter2)
            if "readback_of" in w:
                return
            status = getattr(cmd.status, "name", str(cmd.status))
            self.s.writes.append({"pv": w["pv"], "value": w["value"], "outcome": "failed", "status": status})
            src = w["cmd"]
            if w["client_ioid"] is not None:
                self.client_w.write(bytes(ca.WriteNotifyResponse(src.data_type, src.data_count, cmd.status, w["client_ioid"])))
            else:
                message = bytes(cmd.error_message).rstrip(b"\x00").decode("latin-1")
                self.client_w.write(bytes(ca.ErrorResponse(src, self.cid_by_sid.get(src.sid, 0), cmd.status, message)))
            return
        elif isinstance(cmd, ca.ReadNotifyResponse) and cmd.ioid in self.pending:
            w = self.pending.pop(cmd.ioid)
            w["readback_of"]["readback"] = jsonable(values_of(cmd))
            return
        self.client_w.write(bytes(cmd))


class SearchRelay(asyncio.DatagramProtocol):
    """UDP inside the sandbox: searches go upstream, replies come back pointing at gate listeners."""

    def __init__(self, gate: Gate, session: Session):
        self.gate, self.s = gate, session
        self.transport: asyncio.DatagramTransport | None = None
        self.upstream_tr: asyncio.DatagramTransport | None = None
        self.client_addr: tuple[str, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.client_addr = addr
        try:
            cmds = read_datagram(data, addr, ca.CLIENT)
        except Exception:  # noqa: BLE001  (hostile bytes: drop them)
            return
        keep = [c for c in cmds if isinstance(c, (ca.VersionRequest, ca.SearchRequest))]
        if not any(isinstance(c, ca.SearchRequest) for c in keep) or self.upstream_tr is None:
            return
        payload = b"".join(bytes(c) for c in keep)
        for up in self.gate.upstreams:
            self.upstream_tr.sendto(payload, up)

    async def on_upstream(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            cmds = read_datagram(data, addr, ca.SERVER)
        except Exception:  # noqa: BLE001
            return
        out = []
        for c in cmds:
            if isinstance(c, ca.SearchResponse):
                host = addr[0] if c.ip in ("255.255.255.255", "0.0.0.0") else c.ip
                port = await self.gate.listener_for(self.s, (host, c.port))
                out.append(ca.SearchResponse(port=port, ip="127.0.0.1", cid=c.cid, version=ca.DEFAULT_PROTOCOL_VERSION))
            elif isinstance(c, ca.VersionResponse):
                out.append(c)
        if out and self.transport is not None and self.client_addr is not None and not self.s.closed:
            self.transport.sendto(b"".join(bytes(c) for c in out), self.client_addr)


class RepeaterStub(asyncio.DatagramProtocol):
    """Confirms libca's repeater registration inside the sandbox (beacons are not relayed: the gate's
    circuits notice a server that went away themselves)."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            cmds = read_datagram(data, addr, ca.CLIENT)
        except Exception:  # noqa: BLE001  (hostile bytes: drop them)
            return
        if self.transport is not None and any(isinstance(c, ca.RepeaterRegisterRequest) for c in cmds):
            self.transport.sendto(bytes(ca.RepeaterConfirmResponse("127.0.0.1")), addr)


class UpstreamUdp(asyncio.DatagramProtocol):
    def __init__(self, relay: SearchRelay):
        self.relay = relay

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.ensure_future(self.relay.on_upstream(data, addr))


class Gate:
    def __init__(self, upstreams: list[tuple[str, int]]):
        self.upstreams = upstreams
        self.sessions: dict[str, Session] = {}
        self.ids = itertools.count(1)

    async def attach(self, pid: int, mode: str, manifest: dict[str, dict[str, float]] | None) -> Session:
        if mode not in ("read_only", "write_access"):
            raise ValueError(f"mode {mode!r} is not read_only or write_access")
        s = Session(id=f"s{next(self.ids)}", pid=pid, mode=mode, manifest=manifest if mode == "write_access" else {})
        loop = asyncio.get_running_loop()
        udp, rep = await loop.run_in_executor(None, sockets_in_netns, pid, [(socket.SOCK_DGRAM, CA_PORT), (socket.SOCK_DGRAM, REPEATER_PORT)])
        relay = SearchRelay(self, s)
        tr, _ = await loop.create_datagram_endpoint(lambda: relay, sock=udp)
        rep_tr, _ = await loop.create_datagram_endpoint(RepeaterStub, sock=rep)
        up_tr, _ = await loop.create_datagram_endpoint(lambda: UpstreamUdp(relay), local_addr=("0.0.0.0", 0))
        relay.upstream_tr = up_tr  # type: ignore[assignment]
        s.transports += [tr, rep_tr, up_tr]
        self.sessions[s.id] = s
        # a CA server's TCP port is usually its search port: serve 5064 for the first upstream
        # right away, so a client that skips the search (or speaks raw CA) meets the gate too
        await self.listener_for(s, self.upstreams[0])
        return s

    async def listener_for(self, s: Session, upstream: tuple[str, int]) -> int:
        """The sandbox port that leads to `upstream` (5064 for the first server, then free ports)."""
        if upstream in s.listeners:
            return s.listeners[upstream]
        port = CA_PORT if not s.listeners else 0
        s.listeners[upstream] = -1
        loop = asyncio.get_running_loop()
        (sock,) = await loop.run_in_executor(None, sockets_in_netns, s.pid, [(socket.SOCK_STREAM, port)])
        bound = sock.getsockname()[1]

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            c = Circuit(s, reader, writer, upstream)
            s.circuits.add(c)
            try:
                await c.run()
            except Exception as err:  # noqa: BLE001  (a hostile circuit ends; the gate goes on)
                log(f"session {s.id}: circuit ended: {type(err).__name__}: {err}")
                c.close()
            finally:
                s.circuits.discard(c)

        s.servers.append(await asyncio.start_server(serve, sock=sock))
        s.listeners[upstream] = bound
        return bound

    def detach(self, session_id: str) -> Session:
        s = self.sessions.pop(session_id)
        s.closed = True
        for srv in s.servers:
            srv.close()
        for tr in s.transports:
            tr.close()
        for c in list(s.circuits):
            c.close()
        return s


def parse_manifest(raw: Any) -> dict[str, dict[str, float]] | None:
    """PV → {low, high} (numbers only); None admits any PV."""
    if raw is None:
        return None
    return {str(k): {kk: float(vv) for kk, vv in (v or {}).items() if kk in ("low", "high") and vv is not None} for k, v in raw.items()}


async def serve_control(gate: Gate) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def reply(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    reply({"ready": True, "pid": os.getpid()})
    while True:
        line = await reader.readline()
        if not line:
            return
        req: dict[str, Any] = {}
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "attach":
                s = await gate.attach(int(req["pid"]), str(req["mode"]), parse_manifest(req.get("manifest")))
                reply({"id": req.get("id"), "ok": True, "session": s.id})
            elif op == "policy":
                s = gate.sessions[str(req["session"])]
                if s.mode == "write_access":
                    s.manifest = parse_manifest(req.get("manifest"))
                reply({"id": req.get("id"), "ok": True})
            elif op == "take":
                s = gate.sessions[str(req["session"])]
                # a write forwarded just before the run ended belongs to it: wait for its answer
                await s.settle(SETTLE_S)
                reply({"id": req.get("id"), "ok": True, **s.take()})
            elif op == "detach":
                s = gate.detach(str(req["session"]))
                await asyncio.sleep(0)
                reply({"id": req.get("id"), "ok": True, "writes": s.writes, "refused": s.refused})
            elif op == "ping":
                reply({"id": req.get("id"), "ok": True, "sessions": len(gate.sessions)})
            else:
                reply({"id": req.get("id"), "ok": False, "error": f"unknown op {op!r}"})
        except Exception as err:  # noqa: BLE001  (a bad request is answered, not fatal)
            reply({"id": req.get("id"), "ok": False, "error": f"{type(err).__name__}: {err}"})


def main(argv: list[str]) -> int:
    upstreams: list[tuple[str, int]] = []
    it = iter(argv)
    for arg in it:
        if arg == "--upstream":
            host, _, port = next(it).rpartition(":")
            upstreams.append((host or "127.0.0.1", int(port)))
        else:
            sys.stderr.write(f"pyfleet_ca_gate: unknown argument {arg}\n")
            return 2
    if not upstreams:
        sys.stderr.write("pyfleet_ca_gate: give at least one --upstream HOST:PORT (the CA servers' UDP search address)\n")
        return 2
    asyncio.run(serve_control(Gate(upstreams)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
