"""One exception type for everything the fleet refuses or fails with.

Branch on :attr:`PyfleetError.code` (the producer's and approver's error codes), never on the
message. User-code errors are not exceptions: they come back as data in
:class:`pyfleet.Execution.error`.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import BaseModel

ErrorCategory = Literal["code", "infrastructure", "policy", "configuration", "approval", "validation"]

#: Category of every error code the fleet raises (mirrors ``ERROR_CODES`` in @pyfleet/core).
ERROR_CATEGORIES: dict[str, ErrorCategory] = {
    "SYNTAX_ERROR": "code",
    "ANALYSIS_BLOCKED": "code",
    "RUNTIME_ERROR": "code",
    "NO_CODE_IN_REPLY": "code",
    "REPLY_TRUNCATED": "code",
    "RESULTS_MISSING": "code",
    "EXECUTION_TIMEOUT": "code",
    "REDIS_UNAVAILABLE": "infrastructure",
    "KERNEL_DIED": "infrastructure",
    "KERNEL_UNAVAILABLE": "infrastructure",
    "BACKEND_UNAVAILABLE": "infrastructure",
    "LLM_UNAVAILABLE": "infrastructure",
    "STAGE_RETRIES_EXHAUSTED": "infrastructure",
    "INTERNAL": "infrastructure",
    "WAIT_TIMEOUT": "infrastructure",
    "WRITE_IN_READ_ONLY": "policy",
    "WRITES_DISABLED": "policy",
    "MEMORY_LIMIT": "policy",
    "METHOD_NOT_ALLOWED": "policy",
    "OUTCOME_UNKNOWN": "policy",
    "CONFIG_INVALID": "configuration",
    "CONFIG_NOT_FOUND": "configuration",
    "LLM_CONFIG": "configuration",
    "IMAGE_MISSING": "configuration",
    "BACKEND_MISCONFIGURED": "configuration",
    "APPROVAL_MISSING": "approval",
    "APPROVAL_SIGNATURE_INVALID": "approval",
    "APPROVAL_EXPIRED": "approval",
    "APPROVAL_HASH_MISMATCH": "approval",
    "APPROVAL_ALREADY_DECIDED": "approval",
    "APPROVAL_FORBIDDEN": "approval",
    "APPROVAL_NOT_FOUND": "approval",
    "APPROVAL_REJECTED": "approval",
    "APPROVAL_REQUIRED": "approval",
    "VALIDATION_FAILED": "validation",
    "NOT_FOUND": "validation",
    "STEP_NOT_PENDING": "validation",
    "PAYLOAD_TOO_LARGE": "validation",
    "UNAUTHORIZED": "validation",
    "CANCELLED": "validation",
    "THREAD_HAS_RUN": "validation",
    "RUN_NOT_RECONCILABLE": "validation",
}


class FieldIssue(BaseModel):
    """A problem with one field of an input, named by its dotted path."""

    path: str
    message: str


class PyfleetError(Exception):
    """An error answered by the fleet (or a failure to reach it).

    Attributes:
        code: the fleet's error code, e.g. ``VALIDATION_FAILED``, ``APPROVAL_FORBIDDEN``.
        category: ``code | infrastructure | policy | configuration | approval | validation``.
        retryable: True for infrastructure errors (the same call may succeed later).
        issues: field problems of a rejected input (``path`` names the field).
        status: HTTP status of the answer, when there was one.
        details: extra facts (run id, run status, the fleet's error record).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        issues: list[FieldIssue] | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.category: ErrorCategory = ERROR_CATEGORIES.get(code, "infrastructure")
        self.retryable = retryable if retryable is not None else self.category == "infrastructure"
        self.issues = issues or []
        self.status = status
        self.details = details or {}

    def __str__(self) -> str:
        if not self.issues:
            return self.message
        fields = "; ".join(f"{i.path}: {i.message}" for i in self.issues)
        return f"{self.message} ({fields})"

    def __repr__(self) -> str:
        return f"PyfleetError(code={self.code!r}, message={self.message!r}, issues={self.issues!r})"


class ApprovalRequiredError(PyfleetError):
    """A run is parked for a human decision (``run_code`` of code that writes to the machine).

    ``run_id`` and ``approval_id`` say what to approve; afterwards ``client.wait(run_id)``.
    """

    def __init__(self, run_id: str, approval_id: str | None) -> None:
        super().__init__(
            "APPROVAL_REQUIRED",
            f"run {run_id} waits for approval {approval_id}: approve or reject it, then wait for the run",
            details={"runId": run_id, "approvalId": approval_id},
        )
        self.run_id = run_id
        self.approval_id = approval_id


def error_from_response(response: httpx.Response, what: str) -> PyfleetError:
    """Turns a non-2xx answer of the producer or approver into a :class:`PyfleetError`."""
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = {}
    err = body.get("error") if isinstance(body, dict) else None
    err = err if isinstance(err, dict) else {}
    code = err.get("code")
    if not isinstance(code, str) or not code:
        code = "INTERNAL" if response.status_code >= 500 else "VALIDATION_FAILED"
    message = err.get("message") if isinstance(err.get("message"), str) else response.reason_phrase
    raw_issues = err.get("issues")
    issues = [FieldIssue.model_validate(i) for i in raw_issues if isinstance(i, dict)] if isinstance(raw_issues, list) else []
    raw_details = err.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    return PyfleetError(
        code,
        f"{what}: HTTP {response.status_code}: {message}",
        issues=issues,
        status=response.status_code,
        details=dict(details),
    )


def unreachable(base_url: str, exc: Exception) -> PyfleetError:
    """A network failure talking to the fleet (retryable)."""
    return PyfleetError("BACKEND_UNAVAILABLE", f"pyfleet at {base_url} is unreachable: {exc}")
