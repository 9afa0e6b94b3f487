"""The original ``python_executor`` service, backed by the fleet."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from typing import Any

from langgraph.errors import GraphInterrupt
from langgraph.types import Command, Interrupt

from .._common import notebook_link, run_path
from ..async_client import AsyncClient
from ..errors import PyfleetError
from ..models import RunDetails, is_terminal
from .approval import create_approval_type
from .models import PythonExecutionRequest, PythonExecutionSuccess, PythonServiceResult

#: Run statuses that end without a result, and the error code they raise.
_ENDED = {"rejected": "APPROVAL_REJECTED", "cancelled": "CANCELLED", "approval_expired": "APPROVAL_EXPIRED"}


class PythonExecutorService:
    """``registry.get_service("python_executor")``: generates, checks, runs Python on the fleet.

    ``ainvoke(request, config)`` submits a run on ``configurable.thread_id`` /
    ``checkpoint_ns`` (and ``execution_method``, when given) and waits for it. A run parked for
    approval raises LangGraph's ``GraphInterrupt`` carrying the approval payload (use
    :func:`~pyfleet.osprey.handle_service_with_interrupts`). ``ainvoke(Command(resume=...))``
    passes the human's answer to the approver with this client's approver token (which must
    hold the approver role) and waits for the end. A run that fails raises :class:`PyfleetError`
    with the run's error code (``APPROVAL_REJECTED`` after a rejection).
    """

    def __init__(self, client: AsyncClient, *, wait_timeout: float = 600.0) -> None:
        self.client = client
        self.wait_timeout = wait_timeout
        # thread id -> run parked on it: a bare Command(resume={"approved": False}) (the original
        # capability's rejection, which carries no payload) finds its run by the config's thread.
        self._parked: dict[str, str] = {}

    async def ainvoke(
        self, input: PythonExecutionRequest | Mapping[str, Any] | Command[Any], config: Mapping[str, Any] | None = None
    ) -> PythonServiceResult:
        """Runs a request, or resumes a parked run with ``Command(resume=answer)``."""
        if isinstance(input, Command):
            return await self._resume(input, config or {})
        request = input if isinstance(input, PythonExecutionRequest) else PythonExecutionRequest.model_validate(input)
        run_id = await self._start(request, config or {})
        return await self._settle(await self.client.wait(run_id, timeout=self.wait_timeout, until_approval=True))

    async def approval_history(self, run_id: str) -> list[str]:
        """Ids of the approvals the run parked on, oldest first (from its event stream)."""
        ids: list[str] = []
        async for event in self.client.events(run_id, follow=False):
            approval_id = event.data.get("approvalId")
            parked = event.type == "approval" and "decision" not in event.data
            if parked and isinstance(approval_id, str) and approval_id not in ids:
                ids.append(approval_id)
        return ids

    async def _start(self, request: PythonExecutionRequest, config: Mapping[str, Any]) -> str:
        configurable = config.get("configurable") or {}
        thread_id = configurable.get("thread_id") or _caller_thread()
        body = request.to_run_request(
            thread_id=thread_id,
            checkpoint_ns=configurable.get("checkpoint_ns"),
            execution_method=configurable.get("execution_method"),
        )
        try:
            return await self.client.submit(body)
        except PyfleetError as exc:
            if exc.code != "THREAD_HAS_RUN":
                raise
            existing = str(exc.details.get("runId", ""))
        # The thread has a run: the same call again (a LangGraph node re-runs after a resume)
        # gets that run while it is unfinished; once it is over, a new request starts a new run
        # on a thread derived from the caller's.
        if existing and not is_terminal((await self.client.get(existing)).status):
            return existing
        return await self.client.submit(body.model_copy(update={"thread_id": f"{thread_id}.{int(time.time() * 1000):x}"}))

    async def _resume(self, command: Command[Any], config: Mapping[str, Any]) -> PythonServiceResult:
        answer = command.resume
        if not isinstance(answer, Mapping):
            raise ValueError("Command(resume=...) needs a dict: the approval's resume_payload merged with the answer")
        thread_id = (config.get("configurable") or {}).get("thread_id")
        run_id = answer.get("runId") or self._parked.get(str(thread_id))
        if not isinstance(run_id, str):
            raise ValueError(f"Command(resume=...) carries no runId and no run of this service is parked on thread {thread_id}")
        run = await self.client.get(run_id)
        approval_id = answer.get("approvalId") or run.approval_id
        if run.status == "awaiting_approval" and isinstance(approval_id, str) and run.approval_id == approval_id:
            await self._decide(run, approval_id, answer)
        return await self._settle(await self.client.wait(run_id, timeout=self.wait_timeout, until_approval=True))

    async def _decide(self, run: RunDetails, approval_id: str, answer: Mapping[str, Any]) -> None:
        code_hash = answer.get("codeHash") or (run.approval.code_hash if run.approval else "")
        given = answer.get("reason")
        feedback = answer.get("feedback")
        try:
            if answer.get("approved") is True:
                await self.client.approve(approval_id, code_hash=code_hash, reason=given or "approved in the conversation")
            elif isinstance(feedback, str) and feedback:
                await self.client.reject(
                    approval_id, code_hash=code_hash, reason=given or "rejected with feedback", feedback=feedback, regenerate=True
                )
            else:
                await self.client.reject(approval_id, code_hash=code_hash, reason=given or "rejected in the conversation")
        except PyfleetError as exc:
            if exc.code == "APPROVAL_ALREADY_DECIDED":
                return
            if exc.code in ("APPROVAL_FORBIDDEN", "UNAUTHORIZED"):
                raise PyfleetError(
                    exc.code,
                    f"cannot pass the answer on for run {run.run_id}: the approver token of this client "
                    f"({self.client.settings.approver_url}) must belong to an identity with the approver role "
                    f"(set PYFLEET_APPROVER_TOKEN or get_registry(approver_token=...)); nothing was decided. "
                    f"Approver said: {exc.message}",
                    status=exc.status,
                    details={"runId": run.run_id, "approvalId": approval_id},
                ) from exc
            raise

    async def _settle(self, run: RunDetails) -> PythonServiceResult:
        self._parked.pop(run.thread_id, None)
        if run.status == "awaiting_approval":
            self._parked[run.thread_id] = run.run_id
            value = approval_interrupt_value(run, self.client.settings.url)
            raise GraphInterrupt([Interrupt(value=value, id=run.approval_id or run.run_id)])
        final = run.final
        result = final.result if final else None
        if run.status == "completed" and final is not None and result is not None:
            base = self.client.settings.url
            return PythonServiceResult(
                execution_result=PythonExecutionSuccess(
                    results=dict(result.results),
                    stdout=result.stdout,
                    stderr=result.stderr,
                    execution_time=result.execution_time,
                    folder_path=None,
                    notebook_path=result.notebook_path,
                    notebook_link=notebook_link(result, base),
                    figure_paths=list(result.figure_paths),
                    figure_urls=[f"{base}{u}" for u in result.figure_urls],
                    recorded_writes=list(result.recorded_writes),
                ),
                generated_code=final.code or "",
                generation_attempt=final.attempts,
                run_id=run.run_id,
            )
        code = _ENDED.get(run.status) or (run.error.code if run.error else "RUNTIME_ERROR")
        reason = (run.error.message if run.error else None) or (final.reason if final else None) or "no reason given"
        raise PyfleetError(
            code,
            f"Python code execution failed: run {run.run_id} ended {run.status}: {reason}",
            details={"runId": run.run_id, "status": run.status, "error": run.error.model_dump() if run.error else None},
        )


def approval_interrupt_value(run: RunDetails, producer_url: str) -> dict[str, Any]:
    """The original's interrupt payload ``{"user_message", "resume_payload"}``, JSON only, with the
    fleet's run id, approval id and code hash (the decision must quote the hash shown)."""
    a = run.approval
    task = a.task if a else run.task
    mode = a.execution_mode if a else run.mode
    link = (a.notebook_link or (f"{producer_url}{a.notebook.url}" if a.notebook else None)) if a else None
    reasoning = (a.reasoning if a else "") or f"Python code requires human approval for {mode} mode"
    review = f"Review Code: [Open Jupyter Notebook]({link})" if link else "Review the code below (no notebook link configured)."
    # The fleet writes the reviewer's message (task, reason, mode, hash, writes); the fallback
    # is the original's wording for a run whose approval record is not readable.
    user_message = (a.user_message if a else "") or "\n\n".join(
        [
            "⚠️ **HUMAN APPROVAL REQUIRED** ⚠️",
            f"Task: {task}",
            reasoning,
            review,
            "Reply **yes** to approve or **no** to reject.",
        ]
    )
    findings = [f.model_dump() for f in a.findings] if a else []
    pv_writes = [w.model_dump() for w in a.pv_writes] if a else []
    return {
        "user_message": user_message,
        "resume_payload": {
            "approval_type": create_approval_type("python_executor"),
            "runId": run.run_id,
            "approvalId": run.approval_id,
            "codeHash": a.code_hash if a else "",
            "step_objective": task,
            "code": a.code if a else "",
            "execution_mode": mode,
            "analysis_details": {"reasoning": reasoning, "findings": findings, "pv_writes": pv_writes},
            "safety_concerns": [f["message"] for f in findings],
            "pv_writes": pv_writes,
            "notebook_path": a.notebook.path if a and a.notebook else None,
            "notebook_link": link,
            "expected_results": dict(a.expected_results) if a else {},
            "review_url": f"{producer_url}{run_path(run.run_id)}",
        },
    }


def _caller_thread() -> str:
    """A thread id for a call without ``configurable.thread_id``: inside a LangGraph node, one
    derived from the caller's thread and task (stable when the node runs again after a resume),
    elsewhere a fresh one."""
    try:
        from langgraph.config import get_config

        cfg = get_config().get("configurable", {})
    except RuntimeError:
        return f"py-{uuid.uuid4().hex}"
    outer = str(cfg.get("thread_id", "thread"))
    task = str(cfg.get("checkpoint_ns", ""))
    digest = hashlib.sha256(f"{outer}\0{task}".encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "_.:-" else "-" for ch in outer)[:80].lstrip("_.:-") or "t"
    return f"{safe}.{digest}"
