"""The bubblewrap command line for Python launchers (the Jupyter kernelspec launcher).

The same builder as ``packages/execution/src/sandbox/bwrap-command.ts`` (``buildBwrapArgs``), for
the one launcher that is not Node: Jupyter starts kernels through ``jupyter/pyfleet_kernel.py``.
``bwrap-command.test.ts`` runs both on the same specs and requires identical arguments, so the
two cannot drift apart. The spec is the TS ``SandboxSpec`` as a dict (camelCase keys).
Python 3.11 standard library only.
"""

from __future__ import annotations

from typing import Any

#: Read-only system folders every sandbox gets (Debian merged-usr); `--ro-bind-try`
SYSTEM_BINDS = ("/usr", "/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives", "/etc/matplotlibrc", "/etc/fonts")

_MIB = 1024 * 1024


def prlimit_args(limits: dict[str, int]) -> list[str]:
    """The `prlimit` options for the limits (hard = soft; CPU: SIGXCPU, then SIGKILL 5 s later)."""
    return [
        f"--nproc={limits['maxProcesses']}",
        f"--as={limits['memoryMb'] * _MIB}",
        f"--cpu={limits['cpuSeconds']}:{limits['cpuSeconds'] + 5}",
        f"--fsize={limits['maxFileMb'] * _MIB}",
        f"--nofile={limits['maxOpenFiles']}",
        "--core=0",
    ]


def build_bwrap_args(spec: dict[str, Any]) -> list[str]:
    """The bwrap arguments (without the executable) that run ``spec['argv']`` contained."""
    uid = str(spec.get("innerUid", 65534))
    limits = spec["limits"]
    args = ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not spec.get("shareNetwork"):
        args.append("--unshare-net")
    args += ["--uid", uid, "--gid", uid, "--hostname", "pyfleet-sandbox", "--die-with-parent", "--new-session", "--as-pid-1"]
    args += ["--cap-drop", "ALL"]
    for link, target in (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"), ("usr/lib64", "/lib64")):
        args += ["--symlink", link, target]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits["tmpMb"] * _MIB), "--tmpfs", "/tmp"]
    for src in SYSTEM_BINDS:
        args += ["--ro-bind-try", src, src]
    binds = spec.get("binds", [])
    # later binds win; the caller's writable folders come last so a read-only parent cannot hide them
    for b in [b for b in binds if not b.get("writable")] + [b for b in binds if b.get("writable")]:
        args += ["--bind" if b.get("writable") else "--ro-bind", b["src"], b.get("dest") or b["src"]]
    for t in spec.get("tmpfs", []):
        args += ["--size", str(t["sizeMb"] * _MIB), "--tmpfs", t["dest"]]
    args += ["--remount-ro", "/"]
    if spec.get("infoFd") is not None:
        args += ["--info-fd", str(spec["infoFd"])]
    if spec.get("blockFd") is not None:
        args += ["--block-fd", str(spec["blockFd"])]
    return args + ["--chdir", spec["cwd"], "--", "/usr/bin/prlimit", *prlimit_args(limits), "--", *spec["argv"]]


if __name__ == "__main__":
    # python pyfleet_bwrap.py < spec.json → the arguments as a JSON list (the parity test uses it)
    import json
    import sys

    json.dump(build_bwrap_args(json.load(sys.stdin)), sys.stdout)
