"""What the sync and async clients share: settings, request bodies, turning runs into results."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

from .errors import ApprovalRequiredError, PyfleetError, error_from_response
from .execution import Execution, ExecutionError, Figure
from .models import ApprovalSummary, ExecutionMethod, ExecutionResult, RunDetails, RunRequest, RunStatus

ApprovalStatus = Literal["pending", "approved", "rejected", "expired", "cancelled"]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_APPROVER_URL = "http://127.0.0.1:8081"

#: Statuses whose run ended without running code to completion, and the error they raise as.
_ENDED_CODES = {
    "rejected": "APPROVAL_REJECTED",
    "cancelled": "CANCELLED",
    "approval_expired": "APPROVAL_EXPIRED",
    "outcome_unknown": "OUTCOME_UNKNOWN",
}


@dataclass(frozen=True)
class Settings:
    """Where the fleet is and who the caller is."""

    url: str
    token: str | None
    approver_url: str
    approver_token: str | None
    timeout: float


def resolve_settings(
    url: str | None,
    token: str | None,
    approver_url: str | None,
    approver_token: str | None,
    timeout: float,
) -> Settings:
    """Explicit arguments win; then ``PYFLEET_URL``, ``PYFLEET_TOKEN``, ``PYFLEET_APPROVER_URL``,
    ``PYFLEET_APPROVER_TOKEN`` (the approver token defaults to the producer token, as in
    ``pyfleet dev`` where one dev token serves both)."""
    env = os.environ
    tok = token if token is not None else env.get("PYFLEET_TOKEN") or None
    return Settings(
        url=(url or env.get("PYFLEET_URL") or DEFAULT_URL).rstrip("/"),
        token=tok,
        approver_url=(approver_url or env.get("PYFLEET_APPROVER_URL") or DEFAULT_APPROVER_URL).rstrip("/"),
        approver_token=approver_token if approver_token is not None else env.get("PYFLEET_APPROVER_TOKEN") or tok,
        timeout=timeout,
    )


def auth_headers(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


def prepare(settings: Settings, path: str, approver: bool, kw: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """One request's base URL (named when it is unreachable), full URL and httpx keyword
    arguments, the caller's headers merged over the token of the API it goes to."""
    base, token = (settings.approver_url, settings.approver_token) if approver else (settings.url, settings.token)
    headers = {**auth_headers(token), **kw.pop("headers", {})}
    return base, f"{base}{path}", {**kw, "headers": headers}


def check(res: httpx.Response, what: str) -> httpx.Response:
    """``res`` when it succeeded; else the fleet's error as :class:`PyfleetError` (body read already)."""
    if res.status_code >= 400:
        raise error_from_response(res, what)
    return res


def events_stream(settings: Settings, run_id: str, last_event_id: str | None, follow: bool) -> dict[str, Any]:
    """The keyword arguments of ``stream()`` for a run's events, resuming after ``last_event_id``;
    no read timeout, since a quiet run sends nothing for a while."""
    headers = {"accept": "text/event-stream", **({"last-event-id": last_event_id} if last_event_id else {})}
    return {
        "method": "GET",
        "url": f"{settings.url}{run_path(run_id, '/events')}",
        "headers": {**auth_headers(settings.token), **headers},
        "params": {} if follow else {"follow": "0"},
        "timeout": httpx.Timeout(settings.timeout, read=None),
    }


def list_params(status: RunStatus | None, limit: int, cursor: str | None) -> dict[str, str | int]:
    params: dict[str, str | int] = {"limit": limit}
    if status:
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    return params


def approvals_params(status: ApprovalStatus | None, limit: int | None) -> dict[str, str | int]:
    params: dict[str, str | int] = {}
    if status:
        params["status"] = status
    if limit:
        params["limit"] = limit
    return params


def approvals_from(body: Any) -> list[ApprovalSummary]:
    return [ApprovalSummary.model_validate(a) for a in body["approvals"]]


def approve_body(code_hash: str, reason: str) -> dict[str, Any]:
    return {"decision": "approve", "codeHash": code_hash, "reason": reason}


def reject_body(code_hash: str, reason: str, feedback: str | None, regenerate: bool | None) -> dict[str, Any]:
    body: dict[str, Any] = {"decision": "reject", "codeHash": code_hash, "reason": reason}
    if feedback is not None:
        body["feedback"] = feedback
    if regenerate is not None:
        body["regenerate"] = regenerate
    return body


def run_path(run_id: str, tail: str = "") -> str:
    return f"/v1/runs/{quote(run_id, safe='')}{tail}"


def approval_path(approval_id: str, tail: str = "") -> str:
    return f"/v1/approvals/{quote(approval_id, safe='')}{tail}"


def request_body(request: RunRequest | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a run. A mapping is sent as given, so the producer (the one validator of
    record) names any bad field; a :class:`RunRequest` was checked locally already."""
    if isinstance(request, RunRequest):
        return request.model_dump(mode="json", exclude_none=True)
    return dict(request)


def submit_params(execution_method: ExecutionMethod | None) -> dict[str, str]:
    return {"execution_method": execution_method} if execution_method else {}


def code_request(
    code: str, context: Mapping[str, Any] | None, execution_method: ExecutionMethod | None, dry_run: bool | None
) -> RunRequest:
    """The run of ``run_code``: provided code, no regeneration (``retries=0``), so a user-code
    error ends the run and comes back as data."""
    return RunRequest(
        user_query="run_code",
        task_objective="run the provided code",
        code=code,
        capability_context_data=dict(context) if context is not None else None,
        retries=0,
        execution_method=execution_method,
        dry_run=dry_run,
    )


def artifact_paths(run: RunDetails) -> list[str]:
    """Files of a finished run the producer serves (run-folder paths): figures and the final notebook."""
    res = run.final.result if run.final else None
    if res is None:
        return []
    return [*res.figure_paths, *([res.notebook_path] if res.notebook_path else [])]


def execution_plan(run: RunDetails) -> list[str]:
    """Checks how ``run_code``'s run ended; returns the figure paths to fetch.

    Raises:
        ApprovalRequiredError: the run is parked for a human decision.
        PyfleetError: the run ended by a refusal, a policy or an infrastructure failure.
    """
    if run.status == "awaiting_approval":
        raise ApprovalRequiredError(run.run_id, run.approval_id)
    result = run.final.result if run.final else None
    if run.status == "completed" and result is not None:
        return list(result.figure_paths)
    if run.status == "failed" and result is not None and result.error is not None:
        return list(result.figure_paths)
    if run.status == "failed" and run.error is not None and run.error.category == "code":
        return []
    code = _ENDED_CODES.get(run.status) or (run.error.code if run.error else "INTERNAL")
    reason = (run.error.message if run.error else None) or (run.final.reason if run.final else None) or "no reason given"
    raise PyfleetError(
        code,
        f"run {run.run_id} ended {run.status}: {reason}",
        details={"runId": run.run_id, "status": run.status, "error": run.error.model_dump() if run.error else None},
    )


def to_execution(run: RunDetails, base_url: str, figures: list[Figure]) -> Execution:
    """The :class:`Execution` of a run that :func:`execution_plan` accepted."""
    final = run.final
    result = final.result if final else None
    code = (final.code if final else None) or ""
    error: ExecutionError | None = None
    if result is not None and result.error is not None:
        e = result.error
        error = ExecutionError(name=e.ename, value=e.evalue, traceback=e.traceback, category=e.category)
    elif run.status == "failed" and run.error is not None:
        error = ExecutionError(name=run.error.code, value=run.error.message, traceback="", category=run.error.category)
    notebook_url = notebook_link(result, base_url)
    return Execution(
        run_id=run.run_id,
        code=code,
        results=dict(result.results) if result else {},
        stdout=result.stdout if result else "",
        stderr=result.stderr if result else "",
        figures=figures,
        notebook_url=notebook_url,
        error=error,
        execution_time=result.execution_time if result else 0.0,
    )


def notebook_link(result: ExecutionResult | None, base_url: str) -> str | None:
    """The configured Jupyter link of the run's notebook, else the producer URL serving it."""
    if result is None:
        return None
    if result.notebook_link:
        return result.notebook_link
    return f"{base_url}{result.notebook_url}" if result.notebook_url else None


def figure(path: str, data: bytes) -> Figure:
    name = path.rsplit("/", 1)[-1]
    return Figure(name=name, mime="image/png" if name.endswith(".png") else "application/octet-stream", data=data, path=path)


def wait_timeout(run_id: str, status: str, timeout: float) -> PyfleetError:
    return PyfleetError("WAIT_TIMEOUT", f"run {run_id} still {status} after {timeout:g} s", details={"runId": run_id, "status": status})
