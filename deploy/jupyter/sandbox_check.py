"""Start-up check of pyfleet's Jupyter image: can this container give kernels their sandbox?

``start-jupyter.sh`` runs it before the server starts (unless the operator set
``PYFLEET_KERNEL_SANDBOX=off``). It does what the kernel launcher (``jupyter/pyfleet_kernel.py``,
``PYFLEET_KERNEL_LAUNCHER``) does for every kernel, with the launcher's own functions and
``sleep`` in place of ipykernel: bubblewrap with the launcher's command line (``bwrap_command``:
own user, PID, IPC, UTS and network namespaces, a fresh /proc, tmpfs, read-only root), its
``read_child_pid`` and, when the server has a control system (``EPICS_CA_ADDR_LIST``), the CA
gate's entry into the sandbox's network namespace (setns into its user namespace, then its
network). A container that cannot do either would fail every kernel start; the server refuses to
start instead, with the reason. Exit 0: it works; 1: the reason is on stderr. Python 3.11
standard library + the launcher, harness and gate files of the image.
"""

import os
import runpy
import signal
import socket
import subprocess
import sys

#: the kernel launcher: the functions that start a kernel's sandbox, used here as they are
_launcher = runpy.run_path(os.environ.get("PYFLEET_KERNEL_LAUNCHER", "/opt/pyfleet/jupyter/pyfleet_kernel.py"))


def main() -> int:
    info_r, info_w = os.pipe()
    spec = {
        "argv": ["/usr/bin/sleep", "30"],
        "cwd": "/run/pyfleet/work",
        "tmpfs": [{"dest": "/run/pyfleet/work", "sizeMb": 1}],
        "limits": {"maxProcesses": 8, "memoryMb": 256, "cpuSeconds": 10, "maxFileMb": 1, "maxOpenFiles": 64, "tmpMb": 1},
        "infoFd": info_w,
    }
    # stdout not inherited: start-jupyter.sh reads this script's output to its end
    proc = subprocess.Popen(
        _launcher["bwrap_command"](spec),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        pass_fds=(info_w,),
    )
    os.close(info_w)
    pid = 0
    try:
        try:
            pid = _launcher["read_child_pid"](info_r)
        except RuntimeError:
            err = proc.communicate(timeout=10)[1].decode(errors="replace").strip()
            print(f"bubblewrap could not create the sandbox: {err or f'exit {proc.returncode}'}", file=sys.stderr)
            return 1
        if os.environ.get("EPICS_CA_ADDR_LIST", "").strip():
            gate = _launcher["load_module"]("pyfleet_ca_gate", os.environ.get("PYFLEET_CA_GATE", "/opt/pyfleet/gate/pyfleet_ca_gate.py"))
            try:
                for s in gate.sockets_in_netns(pid, [(socket.SOCK_DGRAM, 5064)]):
                    s.close()
            except OSError as err:
                print(f"the CA gate cannot enter the sandbox's network namespace: {err}", file=sys.stderr)
                return 1
        return 0
    finally:
        # the sandboxed process first (bubblewrap then exits by itself and takes the namespaces along)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(info_r)


if __name__ == "__main__":
    sys.exit(main())
