"""Launcher of pyfleet's Jupyter kernels (``kernels/*/kernel.json`` point here).

Jupyter starts this file as "the kernel". By default it does not run the kernel itself: it starts
ipykernel inside a bubblewrap sandbox (docs/security.md §3, the same command line as the local
backend: ``packages/execution/harness/pyfleet_bwrap.py``) and stays outside as its supervisor:

- the kernel runs as an unprivileged uid in its own user, PID, network and IPC namespaces, with an
  empty read-only root (``/usr``, the venv and the harness read-only), a private size-capped
  working folder and ``/tmp``, rlimits, and an allow-listed environment: no Jupyter token, no
  server pid, no API keys. It cannot see or signal the server or other kernels;
- ZMQ runs over IPC sockets in a private folder (the sandbox has no network but loopback): the
  server's socket paths are symlinks into that folder (``c.KernelManager.transport = "ipc"``);
- the CA gate (``packages/execution/gate/pyfleet_ca_gate.py``) runs in this process and serves
  Channel Access on the sandbox's loopback, upstream to the server's ``EPICS_CA_ADDR_LIST``:
  a read-only kernel's writes are refused whatever the code does to its own process; a write
  kernel admits nothing until the executor sets a run's signed manifest, and then only its PVs
  (within its limits). The executor drives the gate per run through the server
  (``POST /pyfleet/kernels/<id>/gate``, jupyter_server_config.py), which relays to this
  process's control socket ``<connection file stem>-gate.sock`` (0600, in the server's runtime
  folder: the sandbox cannot see it):
    {"op":"begin","manifest":{PV:{low,high}}|null} → {"ok":true,"leftover":{writes,refused}}
    {"op":"end"} → {"ok":true,"writes":[...],"refused":[...]}   (manifest reset to "nothing")
  so the run's outcome is decided from the gate's record, not from the kernel's report;
- SIGINT from the server (an interrupt) is forwarded to the kernel; when this process dies,
  bubblewrap and the kernel die with it (``--die-with-parent``), and the kernel also watches a
  lifeline: a pipe whose write end only this process holds. bubblewrap arms the sandbox's
  parent-death signal only after it has forked, so a launcher killed within moments of starting
  the kernel could leave it running (containers/bubblewrap#633); at the pipe's end of file the
  kernel gets SIGIO (``O_ASYNC``) and exits, whatever bubblewrap did.

This process dies with the Jupyter server: its first act is ``PR_SET_PDEATHSIG`` = SIGKILL. The
server starts kernels in sessions of their own (jupyter_client's ``start_new_session``), so a
server SIGKILLed with its process group (a crash, an OOM kill, a test's teardown) does not reach
them, and the kernel in the sandbox has no ``JPY_PARENT_PID`` for ipykernel's parent poller: they
ran on with ppid 1, a read-only kernel still holding its Channel Access reads and memory. The
signal fires when the *thread* that forked this process exits; jupyter_server forks kernels from
its event loop on the main thread (``AsyncKernelManager`` → ``LocalProvisioner.launch_kernel`` →
``Popen``, awaited on the tornado loop), which ends only with the server.

``PYFLEET_KERNEL_SANDBOX=off`` runs the kernel in this process instead (machines without
bubblewrap; the boundary is then only the network the operator gives the server). A sandbox that
cannot start is an error, never a silent fallback.

Inside the sandbox (``--inside``), before ipykernel starts, the launcher drops every variable that
looks like a secret and installs the harness's control-system write guard
(``PYFLEET_KERNEL_MODE=read_only`` locks it for the life of the kernel; a read-only kernel without
its guard refuses to start). The guard is the friendly early error, not the boundary.
"""

import contextlib
import ctypes
import fcntl
import importlib.util
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile

_SECRET = re.compile(r"(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH)", re.IGNORECASE)
_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_HARNESS = os.path.join(_HERE, "..", "packages", "execution", "harness", "pyfleet_harness.py")
_DEFAULT_GATE = os.path.join(_HERE, "..", "packages", "execution", "gate", "pyfleet_ca_gate.py")
#: where things appear inside the kernel's sandbox
_IN = {
    "venv": "/opt/pyfleet/venv",
    "harness": "/opt/pyfleet/harness",
    "launcher": "/opt/pyfleet/kernel/pyfleet_kernel.py",
    "kernel": "/run/pyfleet/kernel",
    "work": "/run/pyfleet/work",
}
_ZMQ_PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
#: inside the sandbox: the descriptor of the lifeline's read end (see the module's docstring)
_LIFELINE_ENV = "PYFLEET_KERNEL_LIFELINE_FD"


_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """SIGKILL this process when its parent (the Jupyter server's forking thread) ends.

    The server may already have died between its fork and this call: then the parent-death signal
    is armed against the reaper that adopted us and would never fire. So after arming it, the
    launcher checks that its parent is still the server ``JPY_PARENT_PID`` names (jupyter_client
    sets it to the pid that spawns the kernel) and exits instead of starting an orphan kernel.
    Comparing parents, not asking ``kill(pid, 0)``: a SIGKILLed server that nobody has reaped yet
    is a zombie, which still answers ``kill``, but it stopped being our parent when it exited.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        sys.exit(f"pyfleet kernel: prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
    server = os.environ.get("JPY_PARENT_PID", "")
    now = os.getppid()
    if now != parent or (server.isdigit() and now != int(server)):
        sys.exit("pyfleet kernel: the Jupyter server that started this kernel is gone; not starting it")


def _scrub_environment() -> None:
    for name in list(os.environ):
        if _SECRET.search(name):
            del os.environ[name]


def _harness_path() -> str:
    return os.path.abspath(os.environ.get("PYFLEET_HARNESS", "") or _DEFAULT_HARNESS)


def load_module(name: str, path: str):  # noqa: ANN201  (the module loaded)
    """The Python file at ``path`` as module ``name`` (the harness, builder and gate are files, not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _install_guard(mode: str) -> None:
    path = _harness_path()
    os.environ.pop("PYFLEET_HARNESS", None)
    if not os.path.isfile(path):
        if mode == "read_only":
            sys.exit(f"pyfleet kernel: harness not found at {path}; a read-only kernel cannot start without its guard")
        return
    load_module("pyfleet_harness", path).install_guard(mode, lock=mode == "read_only")


def watch_lifeline() -> None:
    """Inside the sandbox: exits (pid 1 of the sandbox, so with everything in it) once the
    lifeline's write end is closed, i.e. once the launcher is gone. No lifeline: nothing to watch.

    The pipe signals its end of file with SIGIO (``O_ASYNC``): no thread (a thread's stacks and
    malloc arena count against the kernel's ``RLIMIT_AS``), and a handler, because a signal the
    kernel would deliver with its default action (even SIGKILL) never reaches a namespace's pid 1.
    """
    raw = os.environ.pop(_LIFELINE_ENV, "")
    if not raw:
        return
    if not raw.isdigit():
        sys.exit(f"pyfleet kernel: {_LIFELINE_ENV} must be the number of an open pipe's read end, not {raw!r}")
    fd = int(raw)

    def ended() -> bool:
        # nothing is ever written: readable means end of file
        try:
            return bool(select.select([fd], [], [], 0)[0]) and os.read(fd, 1) == b""
        except OSError:
            return True

    def on_sigio(_sig: int, _frame: object) -> None:
        if ended():
            os._exit(128 + signal.SIGKILL)

    signal.signal(signal.SIGIO, on_sigio)
    fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    # a launcher gone before the pipe was armed sent no signal
    if ended():
        os._exit(128 + signal.SIGKILL)


def run_kernel(mode: str) -> None:
    """ipykernel in this process, behind the in-process guard (inside the sandbox, or sandbox off)."""
    watch_lifeline()
    _scrub_environment()
    os.environ["MPLBACKEND"] = "Agg"
    _install_guard(mode)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") not in (_HERE, os.path.dirname(_IN["launcher"]))]
    from ipykernel import kernelapp  # noqa: PLC0415  (after the guard, on purpose)

    kernelapp.launch_new_instance()


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError:
        sys.exit(f"pyfleet kernel: {name}={raw!r} is not a whole number")


def _upstreams() -> list[str]:
    port = os.environ.get("EPICS_CA_SERVER_PORT", "5064")
    return [a if ":" in a else f"{a}:{port}" for a in os.environ.get("EPICS_CA_ADDR_LIST", "").split()]


def _host_ids() -> tuple[int, int] | None:
    """The host uid/gid the sandbox runs as when this launcher is root (PYFLEET_SANDBOX_RUN_AS)."""
    if os.getuid() != 0:
        return None
    raw = os.environ.get("PYFLEET_SANDBOX_RUN_AS", "65534:65534")
    m = re.fullmatch(r"(\d+):(\d+)", raw)
    if not m:
        sys.exit(f"pyfleet kernel: PYFLEET_SANDBOX_RUN_AS={raw!r} is not uid:gid")
    return int(m.group(1)), int(m.group(2))


def _interpreter_binds() -> tuple[list[dict], str]:
    """The venv (shown at /opt/pyfleet/venv) and, outside /usr, the real interpreter's prefix."""
    binds, python = [], sys.executable
    if os.path.isfile(os.path.join(sys.prefix, "pyvenv.cfg")):
        binds.append({"src": sys.prefix, "dest": _IN["venv"]})
        python = os.path.join(_IN["venv"], "bin", os.path.basename(sys.executable))
    real = os.path.realpath(sys.executable)
    if not real.startswith("/usr/"):
        binds.append({"src": os.path.dirname(os.path.dirname(real))})
    return binds, python


def _private_folders(ids: tuple[int, int] | None) -> tuple[str, str]:
    """A folder for the kernel's sockets and connection file (the sandbox's), and one for /etc files."""
    kdir = tempfile.mkdtemp(prefix="pyfleet-kernel-")
    etc = tempfile.mkdtemp(prefix="pyfleet-kernel-etc-")
    os.chmod(etc, 0o755)
    for name, text in (("passwd", "nobody:x:65534:65534:pyfleet sandbox:/tmp:/usr/sbin/nologin\n"), ("group", "nogroup:x:65534:\n"), ("hosts", "127.0.0.1 localhost\n")):
        with open(os.path.join(etc, name), "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(os.path.join(etc, name), 0o644)
    if ids:
        os.chown(kdir, *ids)
    return kdir, etc


def _link_sockets(conn: dict, kdir: str) -> None:
    """The server's ipc paths (`<ip>-<port>`) become symlinks to the sockets the kernel binds in `kdir`."""
    for key in _ZMQ_PORTS:
        link = f"{conn['ip']}-{conn[key]}"
        tmp = f"{link}.pyfleet-tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.join(kdir, f"k-{conn[key]}"), tmp)
        os.replace(tmp, link)


def launch_sandboxed(mode: str, connection_file: str) -> int:
    with open(connection_file, encoding="utf-8") as fh:
        conn = json.load(fh)
    if conn.get("transport") != "ipc" or not os.path.isabs(str(conn.get("ip", ""))):
        sys.exit(
            "pyfleet kernel: a sandboxed kernel has no network, so ZMQ must run over IPC: start the server with "
            "c.KernelManager.transport = 'ipc' (jupyter/jupyter_server_config.py does), or set PYFLEET_KERNEL_SANDBOX=off"
        )
    bwrap_path = os.environ.get("PYFLEET_BWRAP", "/usr/bin/bwrap")
    if not os.access(bwrap_path, os.X_OK):
        sys.exit(f"pyfleet kernel: {bwrap_path} not found (apt-get install -y bubblewrap), and PYFLEET_KERNEL_SANDBOX is not 'off'")
    harness_dir = os.path.dirname(_harness_path())
    ids = _host_ids()
    kdir, etc = _private_folders(ids)
    try:
        inner_conn = dict(conn, ip=f"{_IN['kernel']}/k")
        inner_file = os.path.join(kdir, "connection.json")
        with open(inner_file, "w", encoding="utf-8") as fh:
            json.dump(inner_conn, fh)
        if ids:
            os.chown(inner_file, *ids)
        _link_sockets(conn, kdir)
        upstreams = _upstreams()
        binds, python = _interpreter_binds()
        binds += [{"src": os.path.join(etc, f), "dest": f"/etc/{f}"} for f in ("passwd", "group", "hosts")]
        binds += [
            {"src": harness_dir, "dest": _IN["harness"]},
            {"src": os.path.abspath(__file__), "dest": _IN["launcher"]},
            {"src": kdir, "dest": _IN["kernel"], "writable": True},
        ]
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        # the write end stays in this process only (not inheritable) until it exits
        life_r, _life_w = os.pipe()
        spec = {
            "argv": [python, _IN["launcher"], "--inside", "-f", f"{_IN['kernel']}/connection.json"],
            "cwd": _IN["work"],
            "binds": binds,
            "tmpfs": [{"dest": _IN["work"], "sizeMb": _int_env("PYFLEET_KERNEL_WORK_MB", 256)}],
            "limits": {
                "maxProcesses": _int_env("PYFLEET_KERNEL_MAX_PROCESSES", 64),
                "memoryMb": _int_env("PYFLEET_KERNEL_MEMORY_MB", 2048),
                "cpuSeconds": _int_env("PYFLEET_KERNEL_CPU_SECONDS", 86400),
                "maxFileMb": _int_env("PYFLEET_KERNEL_MAX_FILE_MB", 256),
                "maxOpenFiles": _int_env("PYFLEET_KERNEL_MAX_OPEN_FILES", 256),
                "tmpMb": _int_env("PYFLEET_KERNEL_TMP_MB", 256),
            },
            "infoFd": info_w,
            "blockFd": block_r,
        }
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": "/tmp",
            "IPYTHONDIR": "/tmp/.ipython",
            "MPLCONFIGDIR": "/tmp/.mpl",
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "PYFLEET_KERNEL_MODE": mode,
            "PYFLEET_HARNESS": f"{_IN['harness']}/pyfleet_harness.py",
            _LIFELINE_ENV: str(life_r),
        }
        if upstreams:
            env.update({"EPICS_CA_ADDR_LIST": "127.0.0.1", "EPICS_CA_AUTO_ADDR_LIST": "NO", "EPICS_CA_SERVER_PORT": "5064", "EPICS_CA_REPEATER_PORT": "5065"})

        def drop_privileges() -> None:
            if ids:
                os.setgroups([])
                os.setgid(ids[1])
                os.setuid(ids[0])

        proc = subprocess.Popen(
            bwrap_command(spec),
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(info_w, block_r, life_r),
            preexec_fn=drop_privileges,  # noqa: PLW1509  (single-threaded here: nothing started yet)
            start_new_session=True,  # the server's interrupt (killpg) reaches this process only; it forwards it
        )
        os.close(info_w)
        os.close(block_r)
        os.close(life_r)
        return _supervise(proc, info_r, block_w, mode, upstreams, gate_control_path(connection_file))
    finally:
        shutil.rmtree(kdir, ignore_errors=True)
        shutil.rmtree(etc, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(gate_control_path(connection_file))


def bwrap_command(spec: dict) -> list[str]:
    """bubblewrap (``PYFLEET_BWRAP``) and its arguments for ``spec``, from the builder the local
    backend shares (``pyfleet_bwrap.py`` beside the harness). ``deploy/jupyter/sandbox_check.py``
    starts its probe with it, so the image's start-up check runs the kernels' command line."""
    builder = load_module("pyfleet_bwrap", os.path.join(os.path.dirname(_harness_path()), "pyfleet_bwrap.py"))
    return [os.environ.get("PYFLEET_BWRAP", "/usr/bin/bwrap"), *builder.build_bwrap_args(spec)]


def gate_control_path(connection_file: str) -> str:
    """The launcher's gate control socket beside the connection file (the server derives the same)."""
    return os.path.splitext(os.path.abspath(connection_file))[0] + "-gate.sock"


def read_child_pid(info_r: int) -> int:
    """The sandboxed process's pid, from bubblewrap's ``--info-fd`` JSON; RuntimeError when
    bubblewrap exits before it started the process."""
    text = b""
    while b"child-pid" not in text or b"}" not in text:
        chunk = os.read(info_r, 4096)
        if not chunk:
            raise RuntimeError("bubblewrap exited before it started the kernel")
        text += chunk
    return int(json.loads(text[: text.index(b"}") + 1])["child-pid"])


def _supervise(proc: subprocess.Popen, info_r: int, block_w: int, mode: str, upstreams: list[str], control_path: str) -> int:
    """Attaches the gate, lets the kernel start, forwards interrupts, and waits for the sandbox."""
    try:
        pid = read_child_pid(info_r)
    except (RuntimeError, ValueError) as err:
        proc.kill()
        sys.exit(f"pyfleet kernel: {err}")

    def forward(sig: int, _frame: object) -> None:
        try:
            os.kill(pid if sig == signal.SIGINT else proc.pid, sig if sig == signal.SIGINT else signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    if not upstreams:
        os.write(block_w, b"1")
        os.close(block_w)
        return proc.wait()
    import asyncio  # noqa: PLC0415  (only a kernel with Channel Access pays for the gate's imports)

    gate_module = load_module("pyfleet_ca_gate", os.path.abspath(os.environ.get("PYFLEET_CA_GATE", "") or _DEFAULT_GATE))
    hosts = [(h or "127.0.0.1", int(p)) for h, _, p in (u.rpartition(":") for u in upstreams)]

    async def serve() -> int:
        gate = gate_module.Gate(hosts)
        # read-only: every write refused; write: nothing admitted until the executor's "begin"
        session = await gate.attach(pid, mode, {})
        control = await _serve_control(gate_module, session, mode, control_path)
        os.write(block_w, b"1")
        os.close(block_w)
        loop = asyncio.get_running_loop()
        code = await loop.run_in_executor(None, proc.wait)
        control.close()
        for record in session.writes + session.refused:
            gate_module.log(f"kernel pid {pid}: not taken by a run: {json.dumps(record)}")
        return code

    try:
        return asyncio.run(serve())
    except Exception as err:  # noqa: BLE001  (no gate, no kernel: fail closed)
        proc.kill()
        sys.exit(f"pyfleet kernel: the CA gate could not serve the kernel's sandbox: {type(err).__name__}: {err}")


async def _serve_control(gate_module, session, mode: str, path: str):  # noqa: ANN001, ANN202  (loaded module)
    """The per-run control socket (module docstring): the executor's "begin" sets the run's
    manifest, its "end" resets it to "nothing" and takes what the gate saw, so run B never writes
    under run A's manifest."""
    import asyncio  # noqa: PLC0415

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    req = json.loads(line)
                    op = req.get("op")
                    if op == "begin":
                        await session.settle(gate_module.SETTLE_S)
                        leftover = session.take()
                        if mode == "write_access":
                            # null admits any PV (a write run the operator lets run without a manifest)
                            session.manifest = gate_module.parse_manifest(req["manifest"]) if "manifest" in req else {}
                        reply = {"ok": True, "mode": mode, "leftover": leftover}
                    elif op == "end":
                        if mode == "write_access":
                            session.manifest = {}
                        await session.settle(gate_module.SETTLE_S)
                        reply = {"ok": True, "mode": mode, **session.take()}
                    else:
                        reply = {"ok": False, "error": f"unknown op {op!r} (begin or end)"}
                except Exception as err:  # noqa: BLE001  (a bad request is answered, not fatal)
                    reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
                writer.write((json.dumps(reply) + "\n").encode())
                await writer.drain()
        finally:
            writer.close()

    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    old = os.umask(0o177)
    try:
        server = await asyncio.start_unix_server(handle, path=path)
    finally:
        os.umask(old)
    return server


def main() -> None:
    if "--inside" not in sys.argv:
        # the launcher, and the kernel itself when the sandbox is off; inside the sandbox
        # bubblewrap's --die-with-parent ties the kernel to this launcher
        die_with_parent()
    mode = os.environ.get("PYFLEET_KERNEL_MODE", "read_only")
    if mode not in ("read_only", "write_access"):
        sys.exit(f"pyfleet kernel: PYFLEET_KERNEL_MODE must be read_only or write_access, not {mode!r}")
    if "--inside" in sys.argv:
        sys.argv.remove("--inside")
        run_kernel(mode)
        return
    setting = os.environ.get("PYFLEET_KERNEL_SANDBOX", "on").lower()
    if setting not in ("on", "off"):
        sys.exit(f"pyfleet kernel: PYFLEET_KERNEL_SANDBOX must be on or off, not {setting!r}")
    if setting == "off":
        run_kernel(mode)
        return
    try:
        connection_file = sys.argv[sys.argv.index("-f") + 1]
    except (ValueError, IndexError):
        sys.exit("pyfleet kernel: no -f CONNECTION_FILE")
    sys.exit(launch_sandboxed(mode, connection_file))


if __name__ == "__main__":
    main()
