"""The original Osprey Python Executor Service API, backed by a pyfleet fleet.

An existing capability runs against the fleet by changing its imports::

    from pyfleet.osprey import (
        PythonExecutionRequest, get_registry, handle_service_with_interrupts,
        get_approval_resume_data, clear_approval_state, create_approval_type,
    )
"""

from .approval import (
    clear_approval_state,
    create_approval_type,
    get_approval_resume_data,
    handle_service_with_interrupts,
    is_approving,
)
from .models import PlanningMode, PythonExecutionRequest, PythonExecutionSuccess, PythonServiceResult
from .registry import ServiceRegistry, get_registry
from .service import PythonExecutorService, approval_interrupt_value

__all__ = [
    "PlanningMode",
    "PythonExecutionRequest",
    "PythonExecutionSuccess",
    "PythonExecutorService",
    "PythonServiceResult",
    "ServiceRegistry",
    "approval_interrupt_value",
    "clear_approval_state",
    "create_approval_type",
    "get_approval_resume_data",
    "get_registry",
    "handle_service_with_interrupts",
    "is_approving",
]
