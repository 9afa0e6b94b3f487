"""pyfleet: run LLM-written (or your own) Python on a pyfleet fleet.

    from pyfleet import Client
    with Client() as fleet:                      # PYFLEET_URL / PYFLEET_TOKEN
        ex = fleet.run_code("results = {'x': 1 + 1}")
        ex.results, ex.stdout, ex.figures, ex.error

The original Osprey API lives in :mod:`pyfleet.osprey`.
"""

from .async_client import AsyncClient
from .client import Client
from .errors import ApprovalRequiredError, FieldIssue, PyfleetError
from .execution import Execution, ExecutionError, Figure
from .models import (
    ApprovalDetail,
    ApprovalRequest,
    ApprovalSummary,
    DecisionResult,
    ExecutionResult,
    FinalResult,
    RunDetails,
    RunEvent,
    RunRecord,
    RunRequest,
    is_terminal,
)
from .sse import SseMessage, parse_sse

__version__ = "0.1.0"

__all__ = [
    "ApprovalDetail",
    "ApprovalRequest",
    "ApprovalRequiredError",
    "ApprovalSummary",
    "AsyncClient",
    "Client",
    "DecisionResult",
    "Execution",
    "ExecutionError",
    "ExecutionResult",
    "FieldIssue",
    "Figure",
    "FinalResult",
    "PyfleetError",
    "RunDetails",
    "RunEvent",
    "RunRecord",
    "RunRequest",
    "SseMessage",
    "__version__",
    "is_terminal",
    "parse_sse",
]
