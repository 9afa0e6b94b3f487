"""Kernelspec manager of pyfleet's Jupyter servers: ONLY the specs in ``allowed_kernelspecs`` start.

jupyter_client's stock manager hides other specs from the listing but still starts any spec it
can find by name, including ipykernel's built-in ``python3`` (a fallback that ignores
``ensure_native_kernel``): a client holding the token of a read-only server could start a kernel
without the control-system write guard. This manager refuses every name outside the allowed set,
and an empty set allows nothing.

Loaded through ``--ServerApp.kernel_spec_manager_class`` with ``PYTHONPATH`` pointing here; the
variable is dropped on import so kernels do not inherit it.
"""

import os

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

os.environ.pop("PYTHONPATH", None)


class AllowedKernelSpecManager(KernelSpecManager):
    """Starts and lists only the kernelspecs named in ``allowed_kernelspecs``."""

    def get_kernel_spec(self, kernel_name):
        if kernel_name.lower() not in {name.lower() for name in self.allowed_kernelspecs}:
            raise NoSuchKernel(kernel_name)
        return super().get_kernel_spec(kernel_name)

    def find_kernel_specs(self):
        allowed = {name.lower() for name in self.allowed_kernelspecs}
        return {name: path for name, path in super().find_kernel_specs().items() if name.lower() in allowed}
