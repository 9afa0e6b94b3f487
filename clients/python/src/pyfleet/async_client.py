"""The asynchronous client: the same API as :class:`pyfleet.Client`, with ``await``."""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator, Mapping
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
from .sse import aparse_sse


class AsyncClient:
    """Talks to a pyfleet fleet from asyncio code (see :class:`pyfleet.Client` for the arguments).

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
        self._http = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        """Closes the connection pool. Idempotent."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # --- plumbing ---
    async def _request(self, method: str, path: str, *, approver: bool = False, **kw: Any) -> httpx.Response:
        base, url, args = c.prepare(self.settings, path, approver, kw)
        try:
            res = await self._http.request(method, url, **args)
        except httpx.TransportError as exc:
            raise unreachable(base, exc) from exc
        return c.check(res, f"{method} {path}")

    # --- runs ---
    async def submit(self, request: RunRequest | Mapping[str, Any], *, execution_method: ExecutionMethod | None = None) -> str:
        """Submits a run and returns its id. A mapping goes to the producer as is, so a bad field
        comes back as ``PyfleetError(code="VALIDATION_FAILED")`` whose ``issues`` name it."""
        res = await self._request("POST", "/v1/runs", json=c.request_body(request), params=c.submit_params(execution_method))
        return SubmittedRun.model_validate(res.json()).run_id

    async def get(self, run_id: str) -> RunDetails:
        """The run with its final result and pending approval. Raises ``NOT_FOUND``."""
        return RunDetails.model_validate((await self._request("GET", c.run_path(run_id))).json())

    async def list(self, *, status: RunStatus | None = None, limit: int = 50, cursor: str | None = None) -> RunList:
        """Runs newest first."""
        return RunList.model_validate((await self._request("GET", "/v1/runs", params=c.list_params(status, limit, cursor))).json())

    async def cancel(self, run_id: str) -> CancelledRun:
        """Cancels a run (a queued job is dropped, a pending approval cancelled)."""
        return CancelledRun.model_validate((await self._request("POST", c.run_path(run_id, "/cancel"))).json())

    async def wait(self, run_id: str, *, timeout: float = 600.0, until_approval: bool = False) -> RunDetails:
        """Returns the run once it is terminal (check ``status``), or parked for approval with
        ``until_approval``. Raises ``WAIT_TIMEOUT`` after ``timeout`` seconds."""
        pacing = WaitPacing(run_id, timeout, until_approval)
        while True:
            run = await self.get(run_id)
            if pacing.done(run):
                return run
            await asyncio.sleep(pacing.pause(run))

    async def events(
        self, run_id: str, *, last_event_id: str | None = None, follow: bool = True, max_reconnects: int = 10
    ) -> AsyncIterator[RunEvent]:
        """The run's events in order, ending after ``finished`` (or, with ``follow=False``, after
        the events stored so far). A dropped connection is resumed from the last event id, so no
        event is lost or repeated; ``BACKEND_UNAVAILABLE`` after ``max_reconnects`` failures in a row."""
        resume = EventResume(last_event_id, max_reconnects)
        while True:
            resume.connecting()
            try:
                async with self._http.stream(**c.events_stream(self.settings, run_id, resume.last, follow)) as res:
                    if res.status_code >= 400:
                        await res.aread()
                        raise error_from_response(res, f"GET {c.run_path(run_id, '/events')}")
                    async for msg in aparse_sse(res.aiter_lines()):
                        event = resume.accept(msg)
                        yield event
                        if event.type == "finished":
                            return
            except httpx.TransportError as exc:
                resume.dropped(self.settings.url, exc)
            if not follow:
                return
            if not resume.got_any and is_terminal((await self.get(run_id)).status):
                return
            await asyncio.sleep(resume.pause())

    async def artifacts(self, run_id: str) -> builtins.list[str]:
        """Paths (relative to the run folder) of the files a finished run produced: figures, notebook."""
        return c.artifact_paths(await self.get(run_id))

    async def artifact(self, run_id: str, path: str) -> bytes:
        """One file of the run folder (a path from :meth:`artifacts`)."""
        return (await self._request("GET", c.run_path(run_id, f"/artifacts/{path.lstrip('/')}"))).content

    async def notebook(self, run_id: str) -> dict[str, Any]:
        """The run's final notebook (nbformat JSON)."""
        nb: dict[str, Any] = (await self._request("GET", c.run_path(run_id, "/notebook"))).json()
        return nb

    async def run_code(
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
        run_id = await self.submit(c.code_request(code, context, execution_method, dry_run))
        try:
            run = await self.wait(run_id, timeout=timeout, until_approval=True)
        except PyfleetError as exc:
            if exc.code == "WAIT_TIMEOUT":
                await self.cancel(run_id)
            raise
        paths = c.execution_plan(run)
        figures = [c.figure(p, await self.artifact(run_id, p)) for p in paths]
        return c.to_execution(run, self.settings.url, figures)

    # --- approvals (approver API) ---
    async def approvals(self, *, status: c.ApprovalStatus | None = "pending", limit: int | None = None) -> builtins.list[ApprovalSummary]:
        """Approvals newest first (default: the pending ones). Needs any approver-API role."""
        body = (await self._request("GET", "/v1/approvals", approver=True, params=c.approvals_params(status, limit))).json()
        return c.approvals_from(body)

    async def approval(self, approval_id: str) -> ApprovalDetail:
        """One approval: code, its sha256, mode, findings, PV writes, votes."""
        body = (await self._request("GET", c.approval_path(approval_id), approver=True)).json()
        return ApprovalDetail.model_validate(body["approval"])

    async def approve(self, approval_id: str, *, code_hash: str, reason: str) -> DecisionResult:
        """Approves, quoting the sha256 of the code reviewed. Needs the approver role
        (``APPROVAL_FORBIDDEN`` otherwise); ``APPROVAL_HASH_MISMATCH`` when the code changed."""
        return await self._decide(approval_id, c.approve_body(code_hash, reason))

    async def reject(
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
        return await self._decide(approval_id, c.reject_body(code_hash, reason, feedback, regenerate))

    async def _decide(self, approval_id: str, body: dict[str, Any]) -> DecisionResult:
        res = await self._request("POST", c.approval_path(approval_id, "/decision"), approver=True, json=body)
        return DecisionResult.model_validate(res.json())
