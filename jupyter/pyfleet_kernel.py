"""Launcher of pyfleet's Jupyter kernels (``kernels/*/kernel.json`` point here).

Before ipykernel starts it:
- drops every environment variable that looks like a secret (keys, tokens, passwords), so
  neither the Jupyter token nor an LLM key is visible to user code;
- loads the pyfleet harness (``PYFLEET_HARNESS`` or the copy in ``packages/execution/harness``)
  and installs its control-system write guard. ``PYFLEET_KERNEL_MODE=read_only`` locks the guard:
  ``epics.caput``, ``epics.PV.put``, ``epics.ca.put``, ``PV.value = ...`` and the caproto / p4p /
  pvaccess / Tango write calls raise ``PermissionError`` for the life of the kernel, whatever
  the code asks for later. A read-only kernel without its guard refuses to start (fail closed).
"""

import importlib.util
import os
import re
import sys

_SECRET = re.compile(r"(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH)", re.IGNORECASE)
_HERE = os.path.dirname(os.path.abspath(__file__))
_DEFAULT_HARNESS = os.path.join(_HERE, "..", "packages", "execution", "harness", "pyfleet_harness.py")


def _scrub_environment() -> None:
    for name in list(os.environ):
        if _SECRET.search(name):
            del os.environ[name]


def _install_guard(mode: str) -> None:
    path = os.path.abspath(os.environ.pop("PYFLEET_HARNESS", "") or _DEFAULT_HARNESS)
    if not os.path.isfile(path):
        if mode == "read_only":
            sys.exit(f"pyfleet kernel: harness not found at {path}; a read-only kernel cannot start without its guard")
        return
    spec = importlib.util.spec_from_file_location("pyfleet_harness", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["pyfleet_harness"] = module
    spec.loader.exec_module(module)
    module.install_guard(mode, lock=mode == "read_only")


def main() -> None:
    mode = os.environ.get("PYFLEET_KERNEL_MODE", "read_only")
    if mode not in ("read_only", "write_access"):
        sys.exit(f"pyfleet kernel: PYFLEET_KERNEL_MODE must be read_only or write_access, not {mode!r}")
    _scrub_environment()
    os.environ["MPLBACKEND"] = "Agg"
    _install_guard(mode)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    from ipykernel import kernelapp  # noqa: PLC0415  (after the guard, on purpose)

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
