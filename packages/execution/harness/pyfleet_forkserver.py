"""pyfleet fork server: one warm Python parent that forks a fresh child per run.

The parent imports the harness, installs the read-only guard for its mode and imports the common
modules (numpy, pandas, matplotlib with Agg, pyepics) once; each run then costs a ``fork()``
instead of an interpreter start and those imports. The parent never runs user code: it only
forks, signals and reaps children, and reports their exit status. Python 3.11 standard library
only (besides the modules it preloads, which may be missing).

::

    python pyfleet_forkserver.py --mode read_only|write_access --socket PATH
        [--parent-pid PID] [--preload numpy,pandas,matplotlib.pyplot,epics]
        [--rlimit-as-mb N] [--rlimit-cpu-s N] [--rlimit-nofile N]

Parent protocol (JSON lines)
----------------------------
stdin (from the executor): ``{"op": "fork", "id": ID}`` forks a child for run ``ID`` (a token of
``[A-Za-z0-9_-]``) once nothing else is waiting to be read or reaped; ``{"op": "signal", "id": ID, "signal": N}`` sends signal N to that child's
process group; ``{"op": "finish", "id": ID}`` (the child sent its finish mark) kills that child's
process group at once and answers ``{"ev": "finished", "id"}``. End of stdin: every child's group
is killed and the parent exits.

stdout (to the executor): ``{"ev": "ready", "pid", "python", "preloaded", "missing", "threads"}``
once the imports are done; ``{"ev": "exit", "id", "code", "signal"}`` when a child is reaped (its
process group is killed first, so nothing the code started outlives it);
``{"ev": "fork_failed", "id", "error"}``. Its stderr carries its own diagnostics only.

Child
-----
Each child starts its own session (process group), asks the kernel to SIGKILL it when the parent
dies (PR_SET_PDEATHSIG; the parent does the same towards the executor with ``--parent-pid``),
restores default signal handlers, and connects three times to the executor's Unix socket
``--socket``, sending ``"<ID> ctl|out|err\\n"`` first on each: ``out`` and ``err`` become its file
descriptors 1 and 2 (user stdout/stderr, streamed as written, also by subprocesses), ``ctl``
carries the job in (``"<length>\\n"`` + JSON ``{code, context, mode, dry_run, work_dir, write_policy, describe_writes}``)
then one byte, the start mark (``0x06``), right before the code runs, then the harness report
(JSON; once the threads the code started have ended and its output is flushed, fd 1/2 are
pointed at /dev/null and a NUL byte, the finish mark, follows; then the connection is closed).
A child that ends without the start mark never ran any of the code: the executor may give the
job to another child (at-most-once holds). Before the job arrives (a spare
waits for it) it applies the rlimits and passes once through ``pyfleet_harness.run_code`` with
code that does nothing, so the run does not pay the copy-on-write faults of that first pass. With
the job it enters ``work_dir`` (first on ``sys.path``) and runs the code through
``pyfleet_harness.run_code`` with the guard already installed. Exit 0 means the report was sent.
The finish mark lets the executor end the run before this exit: it asks the parent to kill the
child's group (a parent's kill, as at reaping, so no process of the run outlives it) instead of
waiting for the kernel to tear the child's address space down.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import gc
import io
import json
import os
import selectors
import signal
import socket
import sys
import threading
from typing import Any

import pyfleet_harness as harness
import pyfleet_prefault as prefault

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_DEFAULT_PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "epics")
#: BLAS/OpenMP pools start threads at import; a parent that forks must be single-threaded, and
#: several runs share few cores anyway. A value from the allow-listed environment wins.
_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
#: What the parent's probe child draws to find the pages a figure run writes (see pyfleet_prefault):
#: the common pieces (line, bars, markers, legend, labels), saved as the harness saves figures.
_PROBE_FIGURE = """
import numpy as np
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
x = np.linspace(0.0, 1.0, 50)
ax.plot(x, x, label="line")
ax.hist(x, bins=5)
ax.scatter(x, x)
ax.set_title("probe")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend()
"""
#: The byte a child sends after its report once it is done (threads joined, output flushed and
#: its output connections ended); a report is JSON, which never holds a raw NUL.
FINISHED_MARK = b"\0"
#: The byte a child sends on its job connection right before it runs the code (after the job was
#: read and every step that can fail without the code was done): without it, the code never ran.
STARTED_MARK = b"\x06"
#: A reaped child that used more CPU than this (a figure run uses 60-100 ms, a trivial one 3-10)
#: makes the next spare take the probed copy-on-write faults while it waits.
_HEAVY_RUN_S = 0.04


def _parse_args(argv: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {"mode": "read_only", "preload": ",".join(_DEFAULT_PRELOAD)}
    valued = {"--mode", "--socket", "--parent-pid", "--preload", "--rlimit-as-mb", "--rlimit-cpu-s", "--rlimit-nofile"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in valued and i + 1 < len(argv):
            opts[arg[2:].replace("-", "_")] = argv[i + 1]
            i += 2
            continue
        raise ValueError(f"unknown or incomplete argument {arg!r}")
    if "socket" not in opts:
        raise ValueError("--socket is required")
    if opts["mode"] not in ("read_only", "write_access"):
        raise ValueError("--mode must be read_only or write_access")
    return opts


def _warm_matplotlib(plt: Any) -> None:
    """Draws and saves one small figure, then closes it.

    The first figure a process draws opens the font file and fills matplotlib's font and text
    caches (~15-20 ms of CPU and ~1,300 page faults in a forked child). Done once here, every child
    inherits them; no figure is left open.
    """
    # a warm-up that fails only costs the children time
    with contextlib.suppress(Exception):
        fig, ax = plt.subplots()
        ax.hist([0.0, 1.0, 1.0, 2.0], bins=3)
        ax.set_title("warm-up")
        ax.set_xlabel("x")
        fig.savefig(io.BytesIO(), format="png", dpi=100, bbox_inches="tight", facecolor="white")
    plt.close("all")
    # matplotlib empties this cache of FreeType fonts in every forked child (os.register_at_fork:
    # a font object must not be shared across fork), so no child ever uses the parent's; freeing
    # them there cost every run ~0.35 ms of CPU and ~160 copy-on-write faults. Emptied here once.
    with contextlib.suppress(Exception):
        sys.modules["matplotlib.font_manager"]._get_font.cache_clear()


_HUGE_PAGE = 2 << 20
_MADV_COLLAPSE = 25  # Linux 6.1+


def _collapse_to_huge_pages() -> None:
    """Backs the parent's private anonymous memory with 2 MiB pages where the kernel can.

    ``fork()`` copies one page-table entry per 4 KiB page of anonymous memory and the child's
    exit drops them all again (~18,000 of them for ~72 MiB here): with huge pages it is one entry
    per 2 MiB, which made fork plus exit of a child ~1.2 ms of CPU cheaper in the child and ~0.7 ms
    in the parent. A child that writes to such a page gets a private 4 KiB copy as before. Costs
    the parent ~2 MiB of RSS (holes filled) and ~0.2-0.4 s at start-up; best effort: an older
    kernel refuses it and nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # noqa: PLC0415

    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="ascii") as maps:
        for line in maps:
            parts = line.split()
            path = parts[5] if len(parts) > 5 else ""
            if parts[1] != "rw-p" or path not in ("", "[heap]"):
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            start = -(-start // _HUGE_PAGE) * _HUGE_PAGE
            end = end // _HUGE_PAGE * _HUGE_PAGE
            if end > start:
                # refused (older kernel, a range the kernel will not collapse): that range stays as it is
                madvise(start, end - start, _MADV_COLLAPSE)


def _prctl_pdeathsig() -> Any:
    """Returns a callable that arms PR_SET_PDEATHSIG(SIGKILL), resolved once in the parent."""
    if not sys.platform.startswith("linux"):
        return lambda: True
    import ctypes  # noqa: PLC0415

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(1, signal.SIGKILL, 0, 0, 0) == 0


class Parent:
    """The forking parent: preloads, then serves fork/signal requests until stdin ends."""

    def __init__(self, opts: dict[str, Any]) -> None:
        self.opts = opts
        self.mode: str = opts["mode"]
        self.socket_path: str = opts["socket"]
        self.children: dict[int, str] = {}  # pid -> run id
        self.by_id: dict[str, int] = {}
        self.pid = os.getpid()
        self.arm_pdeathsig = _prctl_pdeathsig()
        #: the protocol's output (fd 1 is a child's stdout after its dup2); a child closes it
        self.out_fd = os.dup(1)
        #: descriptors of the parent's loop; a child closes them
        self.loop_fds: list[int] = []
        #: the parent's pages a figure run writes (probed at start-up; empty without matplotlib)
        self.figure_pages: prefault.Ranges = []
        #: the last reaped child was heavy (see _HEAVY_RUN_S): the next spare prefaults
        self.prefault_next = False
        #: run ids to fork, once nothing else waits to be read (see serve)
        self.fork_queue: collections.deque[str] = collections.deque()

    # -- start-up

    def preload(self) -> dict[str, Any]:
        for name in _THREAD_ENV:
            os.environ.setdefault(name, "1")
        os.environ["MPLBACKEND"] = "Agg"
        # A read-only parent locks its guard: no child can relax it through the harness API.
        harness.install_guard(self.mode, dry_run=False, lock=self.mode == "read_only")
        # What every run needs and would otherwise load in the child: compiling the write-control
        # module from source (no bytecode is written) cost ~5 ms of CPU per run, `resource` ~0.7 ms.
        harness._writes()  # noqa: SLF001
        import resource  # noqa: F401, PLC0415
        preloaded, missing = [], []
        for name in [n for n in str(self.opts["preload"]).split(",") if n]:
            try:
                __import__(name)
                preloaded.append(name)
            except Exception as err:  # noqa: BLE001  (a missing or broken package is reported, not fatal)
                missing.append(f"{name}: {type(err).__name__}: {err}")
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.switch_backend("Agg")
            _warm_matplotlib(plt)
        # Objects that exist now are never collected; children do not touch their pages (less
        # copy-on-write per fork).
        gc.collect()
        gc.freeze()
        _collapse_to_huge_pages()
        if plt is not None:
            # after the last change to the parent's memory: the probe sees the layout children get
            self.figure_pages = prefault.probe_pages(
                lambda: (self.arm_pdeathsig(), harness.run_code("pass", None, self.mode, True)),
                lambda: harness.run_code(_PROBE_FIGURE, None, self.mode, True),
            )
        threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else threading.active_count()
        pages = prefault.page_count(self.figure_pages)
        return {"preloaded": preloaded, "missing": missing, "threads": threads, "prefault_pages": pages}

    def arm_parent_death(self) -> None:
        parent_pid = self.opts.get("parent_pid")
        if parent_pid and self.arm_pdeathsig() and os.getppid() != int(parent_pid):
            os._exit(137)  # the executor died before the prctl

    # -- main loop

    def serve(self) -> int:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        rfd, wfd = os.pipe()
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
        sel = selectors.DefaultSelector()
        sel.register(0, selectors.EVENT_READ, "stdin")
        sel.register(rfd, selectors.EVENT_READ, "sigchld")
        self.loop_fds = [rfd, wfd, sel.fileno()]
        pending = b""
        stdin_open = True
        while stdin_open:
            # a fork waits while anything else is there to read: the single-threaded parent inside
            # fork() (~1 ms) would keep a run's `finish` (which ends that run) or a reap waiting
            events = sel.select(0 if self.fork_queue else None)
            for key, _ in events:
                if key.data == "sigchld":
                    self._drain(rfd)
                    self.reap()
                    continue
                try:
                    chunk = os.read(0, 1 << 16)
                except InterruptedError:
                    continue
                if not chunk:
                    stdin_open = False
                    break
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        self.handle(line)
            self.reap()
            if not events and self.fork_queue and stdin_open:
                self.fork(self.fork_queue.popleft())
        for pid in list(self.children):
            self._killpg(pid, signal.SIGKILL)
        self.reap(block=True)
        return 0

    @staticmethod
    def _drain(fd: int) -> None:
        try:
            while os.read(fd, 512):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def emit(self, event: dict[str, Any]) -> None:
        self._send(json.dumps(event, separators=(",", ":")))

    def _send(self, line: str) -> None:
        # After every fork the parent copies each page it writes (shared with the child until
        # then): the per-run events are formatted directly and written with one os.write, which
        # touches fewer of them than json.dumps and a text stream (run ids are checked tokens).
        data = (line + "\n").encode()
        while data:
            data = data[os.write(self.out_fd, data) :]

    def handle(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
            op, run_id = msg["op"], str(msg["id"])
            if not run_id or not set(run_id) <= _ID_CHARS or len(run_id) > 64:
                raise ValueError("bad id")
        except (ValueError, KeyError, TypeError) as err:
            sys.stderr.write(f"pyfleet_forkserver: bad request ({err}): {line[:200]!r}\n")
            return
        if op == "fork":
            self.fork_queue.append(run_id)
        elif op == "signal":
            pid = self.by_id.get(run_id)
            if pid is not None:
                self._killpg(pid, int(msg.get("signal", signal.SIGKILL)))
        elif op == "finish":
            # the child sent its finish mark: its group goes now, as at its reaping, and the
            # executor may end the run without waiting for the exit (reaped as usual later)
            pid = self.by_id.get(run_id)
            if pid is not None:
                self._killpg(pid, signal.SIGKILL)
            self._send(f'{{"ev":"finished","id":"{run_id}"}}')

    def fork(self, run_id: str) -> None:
        if run_id in self.by_id:
            self.emit({"ev": "fork_failed", "id": run_id, "error": "a child with this id is running"})
            return
        try:
            pid = os.fork()
        except OSError as err:
            self.emit({"ev": "fork_failed", "id": run_id, "error": f"{type(err).__name__}: {err}"})
            return
        if pid == 0:
            code = 70
            try:
                code = Child(self, run_id, self.prefault_next).run()
            except BaseException:  # noqa: BLE001  (a child never returns into the parent's loop)
                try:
                    import traceback  # noqa: PLC0415

                    traceback.print_exc()
                except BaseException:  # noqa: BLE001, S110
                    pass
            finally:
                os._exit(code)
        self.children[pid] = run_id
        self.by_id[run_id] = pid

    def reap(self, block: bool = False) -> None:
        while self.children:
            try:
                pid, status, usage = os.wait4(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                self.by_id.clear()
                return
            except InterruptedError:
                continue
            if pid == 0:
                return
            run_id = self.children.pop(pid, None)
            if run_id is None:
                continue
            self.prefault_next = usage.ru_utime + usage.ru_stime > _HEAVY_RUN_S
            self.by_id.pop(run_id, None)
            # whatever the code left running in its group goes with it
            self._killpg(pid, signal.SIGKILL)
            if os.WIFSIGNALED(status):
                self._send(f'{{"ev":"exit","id":"{run_id}","code":null,"signal":{os.WTERMSIG(status)}}}')
            else:
                self._send(f'{{"ev":"exit","id":"{run_id}","code":{os.waitstatus_to_exitcode(status)},"signal":null}}')

    @staticmethod
    def _killpg(pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except OSError as err:
            if err.errno not in (errno.ESRCH, errno.EPERM):
                raise


class Child:
    """One run in a freshly forked process (never returns to the parent's loop)."""

    def __init__(self, parent: Parent, run_id: str, prefault_pages: bool) -> None:
        self.parent = parent
        self.run_id = run_id
        self.prefault_pages = prefault_pages

    def run(self) -> int:
        os.setsid()
        if not self.parent.arm_pdeathsig() or os.getppid() != self.parent.pid:
            return 71  # the parent is gone already: nobody would reap or signal this child
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.close(self.parent.out_fd)
        for fd in self.parent.loop_fds:
            os.close(fd)
        ctl = self._connect("ctl")
        out = self._connect("out")
        err = self._connect("err")
        # Everything that does not depend on the job is done while the spare waits for it.
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        os.close(devnull)
        out.close()
        err.close()
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = sys.__stdout__ = _text_stream(1)
        sys.stderr = sys.__stderr__ = _text_stream(2)
        sys.argv = [harness.CODE_FILENAME]
        harness._apply_limits(self.parent.opts)  # noqa: SLF001  (same limits as script mode)
        # The first pass through the harness in a fresh fork copies every page it writes (~300
        # copy-on-write faults, most of a trivial run's CPU): a spare takes them while it waits,
        # running code that does nothing (dry run: it could not write anyway). The run resets
        # every piece of state this touches, as in a kernel that runs one job after another.
        harness.run_code("pass", None, self.parent.mode, True)
        # After a heavy run (likely a figure), the next runs likely draw too: this spare copies the
        # parent's pages a figure run writes (~3,000, ~14 ms of a figure run's CPU) now, and stops
        # as soon as its job arrives. Other spares skip it (it would cost a trivial run ~6-12 ms).
        if self.prefault_pages:
            prefault.prefault(self.parent.figure_pages, lambda: prefault.readable(ctl))
        job = self._read_job(ctl)
        if job.get("mode") != self.parent.mode:
            sys.stderr.write(f"pyfleet_forkserver: a {job.get('mode')} job reached the {self.parent.mode} parent; refused\n")
            return 72
        work_dir = job["work_dir"]
        os.chdir(work_dir)
        sys.path[0] = work_dir
        ctl.sendall(STARTED_MARK)
        report = harness.run_code(
            job["code"],
            job.get("context"),
            self.parent.mode,
            bool(job.get("dry_run")),
            None,
            job.get("write_policy"),
            bool(job.get("describe_writes")),
        )
        data = json.dumps(report, allow_nan=False, separators=(",", ":")).encode("utf-8")
        ctl.sendall(data)
        # like the end of a script: non-daemon threads the code started may finish first
        main = threading.main_thread()
        for thread in threading.enumerate():
            if thread is not main and not thread.daemon:
                thread.join()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110  (user code may have closed or replaced it)
                pass
        # Done: the output connections end here (fd 1/2 point at /dev/null from now on, so a
        # daemon thread's late write cannot land in a file opened on a reused descriptor), then
        # the finish mark. The executor then has the parent kill this process group instead of
        # waiting for this exit, whose teardown of the address space (~1 ms; ~3 ms after a
        # figure) would otherwise be on the run's path.
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        ctl.sendall(FINISHED_MARK)
        ctl.close()
        return 0

    def _connect(self, kind: str) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.parent.socket_path)
        sock.sendall(f"{self.run_id} {kind}\n".encode("ascii"))
        return sock

    @staticmethod
    def _read_job(ctl: socket.socket) -> dict[str, Any]:
        buf = b""
        while b"\n" not in buf:
            chunk = ctl.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the executor closed the job connection")
            buf += chunk
        header, _, rest = buf.partition(b"\n")
        size = int(header)
        parts = [rest]
        have = len(rest)
        while have < size:
            chunk = ctl.recv(min(1 << 20, size - have))
            if not chunk:
                raise ConnectionError("the job was cut short")
            parts.append(chunk)
            have += len(chunk)
        return json.loads(b"".join(parts))


def _text_stream(fd: int) -> io.TextIOWrapper:
    # Line-buffered, not write-through: `print('a', b)` is four writes, and the executor streams
    # what each pipe read brings, so write-through turned one printed line into several events.
    return io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(fd, "w", closefd=False)), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )


def main(argv: list[str]) -> int:
    try:
        opts = _parse_args(argv)
    except ValueError as err:
        sys.stderr.write(f"pyfleet_forkserver: {err}\n")
        return 2
    parent = Parent(opts)
    parent.arm_parent_death()
    info = parent.preload()
    parent.emit({"ev": "ready", "pid": parent.pid, "python": sys.version.split()[0], **info})
    return parent.serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
