"""The E2B-like result of ``run_code``: results, output, figures, notebook and the user's error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import ErrorCategory


@dataclass(frozen=True)
class Figure:
    """A figure the code drew: PNG bytes and where the fleet keeps it."""

    name: str
    mime: str
    data: bytes
    path: str


@dataclass(frozen=True)
class ExecutionError:
    """An error of the user's code: a value, not an exception (like E2B).

    ``name`` is the exception class (``ZeroDivisionError``) or, for code that never ran, the
    fleet's code (``SYNTAX_ERROR``, ``ANALYSIS_BLOCKED``).
    """

    name: str
    value: str
    traceback: str
    category: ErrorCategory


@dataclass(frozen=True)
class Execution:
    """What one ``run_code`` call produced."""

    run_id: str
    code: str
    results: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    figures: list[Figure] = field(default_factory=list)
    notebook_url: str | None = None
    error: ExecutionError | None = None
    execution_time: float = 0.0
