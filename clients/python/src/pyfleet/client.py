"""The synchronous client: runs on the producer API, decisions on the approver API.

Generated from async_client.py by scripts/gen_sync_client.py: edit that file, then run the script."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from . import _common as c
from ._pacing import EventResume, WaitPacing
from .errors import PyfleetError, error_from_response, unreachable
from .execution import Execution
from .models import (
    ApprovalDetail,
    ApprovalSummary,
    CancelledRun,
    DecisionResult,
    ExecutionMethod,
    RunDetails,
    RunEvent,
    RunList,
    RunRequest,
    RunStatus,
    SubmittedRun,
    is_terminal,
)
from .sse import parse_sse


class Client:
    """Talks to a pyfleet fleet.

    Args:
        url: producer URL; default ``PYFLEET_URL`` or http://127.0.0.1:8080.
        token: producer bearer token; default ``PYFLEET_TOKEN``.
        approver_url: approver URL (decisions); default ``PYFLEET_APPROVER_URL`` or http://127.0.0.1:8081.
        approver_token: approver token (needs the approver role to decide); default
            ``PYFLEET_APPROVER_TOKEN``, else ``token``.
        timeout: seconds for one HTTP request (waits and streams are not bound by it).

    User-code errors come back as data (:attr:`Execution.error`); everything the fleet refuses
    or cannot do raises :class:`~pyfleet.PyfleetError` with the fleet's code.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        approver_url: str | None = None,
        approver_token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.settings = c.resolve_settings(url, token, approver_url, approver_token, timeout)
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Closes the connection pool. Idempotent."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- plumbing ---
    def _request(self, method: str, path: str, *, approver: bool = False, **kw: Any) -> httpx.Response:
        base, url, args = c.prepare(self.settings, path, approver, kw)
        try:
            res = self._http.request(method, url, **args)
        except httpx.TransportError as exc:
            raise unreachable(base, exc) from exc
        return c.check(res, f"{method} {path}")

    # --- runs ---
    def submit(self, request: RunRequest | Mapping[str, Any], *, execution_method: ExecutionMethod | None = None) -> str:
        """Submits a run and returns its id. A mapping goes to the producer as is, so a bad field
        comes back as ``PyfleetError(code="VALIDATION_FAILED")`` whose ``issues`` name it."""
        res = self._request("POST", "/v1/runs", json=c.request_body(request), params=c.submit_params(execution_method))
        return SubmittedRun.model_validate(res.json()).run_id

    def get(self, run_id: str) -> RunDetails:
        """The run with its final result and pending approval. Raises ``NOT_FOUND``."""
        return RunDetails.model_validate(self._request("GET", c.run_path(run_id)).json())

    def list(self, *, status: RunStatus | None = None, limit: int = 50, cursor: str | None = None) -> RunList:
        """Runs newest first."""
        return RunList.model_validate(self._request("GET", "/v1/runs", params=c.list_params(status, limit, cursor)).json())

    def cancel(self, run_id: str) -> CancelledRun:
        """Cancels a run (a queued job is dropped, a pending approval cancelled)."""
        return CancelledRun.model_validate(self._request("POST", c.run_path(run_id, "/cancel")).json())

    def wait(self, run_id: str, *, timeout: float = 600.0, until_approval: bool = False) -> RunDetails:
        """Returns the run once it is terminal (check ``status``), or parked for approval with
        ``until_approval``. Raises ``WAIT_TIMEOUT`` after ``timeout`` seconds."""
        pacing = WaitPacing(run_id, timeout, until_approval)
        while True:
            run = self.get(run_id)
            if pacing.done(run):
                return run
            time.sleep(pacing.pause(run))

    def events(self, run_id: str, *, last_event_id: str | None = None, follow: bool = True, max_reconnects: int = 10) -> Iterator[RunEvent]:
        """The run's events in order, ending after ``finished`` (or, with ``follow=False``, after
        the events stored so far). A dropped connection is resumed from the last event id, so no
        event is lost or repeated; ``BACKEND_UNAVAILABLE`` after ``max_reconnects`` failures in a row."""
        resume = EventResume(last_event_id, max_reconnects)
        while True:
            resume.connecting()
            try:
                with self._http.stream(**c.events_stream(self.settings, run_id, resume.last, follow)) as res:
                    if res.status_code >= 400:
                        res.read()
                        raise error_from_response(res, f"GET {c.run_path(run_id, '/events')}")
                    for msg in parse_sse(res.iter_lines()):
                        event = resume.accept(msg)
                        yield event
                        if event.type == "finished":
                            return
            except httpx.TransportError as exc:
                resume.dropped(self.settings.url, exc)
            if not follow:
                return
            if not resume.got_any and is_terminal(self.get(run_id).status):
                return
            time.sleep(resume.pause())

    def artifacts(self, run_id: str) -> builtins.list[str]:
        """Paths (relative to the run folder) of the files a finished run produced: figures, notebook."""
        return c.artifact_paths(self.get(run_id))

    def artifact(self, run_id: str, path: str) -> bytes:
        """One file of the run folder (a path from :meth:`artifacts`)."""
        return self._request("GET", c.run_path(run_id, f"/artifacts/{path.lstrip('/')}")).content

    def notebook(self, run_id: str) -> dict[str, Any]:
        """The run's final notebook (nbformat JSON)."""
        nb: dict[str, Any] = self._request("GET", c.run_path(run_id, "/notebook")).json()
        return nb

    def run_code(
        self,
        code: str,
        *,
        context: Mapping[str, Any] | None = None,
        timeout: float = 600.0,
        execution_method: ExecutionMethod | None = None,
        dry_run: bool | None = None,
    ) -> Execution:
        """Runs ``code`` on the fleet and returns what it produced (E2B-like).

        ``context`` is the ``capability_context_data`` the code reads as ``context``. An error
        of the code is :attr:`Execution.error`; a refusal, a policy violation or an
        infrastructure failure raises :class:`PyfleetError`. Code that writes to the machine
        parks for approval: :class:`~pyfleet.ApprovalRequiredError`. After ``timeout`` seconds
        the run is cancelled and ``WAIT_TIMEOUT`` raised.
        """
        run_id = self.submit(c.code_request(code, context, execution_method, dry_run))
        try:
            run = self.wait(run_id, timeout=timeout, until_approval=True)
        except PyfleetError as exc:
            if exc.code == "WAIT_TIMEOUT":
                self.cancel(run_id)
            raise
        paths = c.execution_plan(run)
        figures = [c.figure(p, self.artifact(run_id, p)) for p in paths]
        return c.to_execution(run, self.settings.url, figures)

    # --- approvals (approver API) ---
    def approvals(self, *, status: c.ApprovalStatus | None = "pending", limit: int | None = None) -> builtins.list[ApprovalSummary]:
        """Approvals newest first (default: the pending ones). Needs any approver-API role."""
        body = self._request("GET", "/v1/approvals", approver=True, params=c.approvals_params(status, limit)).json()
        return c.approvals_from(body)

    def approval(self, approval_id: str) -> ApprovalDetail:
        """One approval: code, its sha256, mode, findings, PV writes, votes."""
        body = self._request("GET", c.approval_path(approval_id), approver=True).json()
        return ApprovalDetail.model_validate(body["approval"])

    def approve(self, approval_id: str, *, code_hash: str, reason: str) -> DecisionResult:
        """Approves, quoting the sha256 of the code reviewed. Needs the approver role
        (``APPROVAL_FORBIDDEN`` otherwise); ``APPROVAL_HASH_MISMATCH`` when the code changed."""
        return self._decide(approval_id, c.approve_body(code_hash, reason))

    def reject(
        self,
        approval_id: str,
        *,
        code_hash: str,
        reason: str,
        feedback: str | None = None,
        regenerate: bool | None = None,
    ) -> DecisionResult:
        """Rejects. With ``feedback`` and ``regenerate=True`` the run generates new code from the
        feedback instead of ending ``rejected``."""
        return self._decide(approval_id, c.reject_body(code_hash, reason, feedback, regenerate))

    def _decide(self, approval_id: str, body: dict[str, Any]) -> DecisionResult:
        res = self._request("POST", c.approval_path(approval_id, "/decision"), approver=True, json=body)
        return DecisionResult.model_validate(res.json())
