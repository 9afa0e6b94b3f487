"""The original framework's service registry, reduced to what callers of the executor use."""

from __future__ import annotations

from typing import Any

from ..async_client import AsyncClient
from ..errors import PyfleetError
from .service import PythonExecutorService


class ServiceRegistry:
    """``get_registry().get_service("python_executor")``. Connection settings default to the
    environment (``PYFLEET_URL``, ``PYFLEET_TOKEN``, ``PYFLEET_APPROVER_URL``, ``PYFLEET_APPROVER_TOKEN``)."""

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        approver_url: str | None = None,
        approver_token: str | None = None,
        wait_timeout: float = 600.0,
    ) -> None:
        self._options: dict[str, Any] = {
            "url": url,
            "token": token,
            "approver_url": approver_url,
            "approver_token": approver_token,
        }
        self._wait_timeout = wait_timeout
        self._services: dict[str, Any] = {}

    def get_service(self, name: str) -> Any:
        """The service called ``name``. Raises ``NOT_FOUND`` for a name it does not know."""
        if name in self._services:
            return self._services[name]
        if name != "python_executor":
            raise PyfleetError("NOT_FOUND", f"no service named {name} (known: python_executor)")
        service = PythonExecutorService(AsyncClient(**self._options), wait_timeout=self._wait_timeout)
        self._services[name] = service
        return service

    def register_service(self, name: str, service: Any) -> None:
        """Registers (or replaces) a service instance."""
        self._services[name] = service


_current: ServiceRegistry | None = None


def get_registry(**options: Any) -> ServiceRegistry:
    """The process's registry, created from the environment on first use as in the original.
    Pass options (``url``, ``token``, ``approver_url``, ``approver_token``, ``wait_timeout``)
    to replace it, e.g. to point at another fleet."""
    global _current
    if options or _current is None:
        _current = ServiceRegistry(**options)
    return _current
