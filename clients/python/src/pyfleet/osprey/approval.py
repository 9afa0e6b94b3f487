"""The original approval helpers: approval types, resume data in the agent state, and
``handle_service_with_interrupts``, which turns a run parked for approval into a LangGraph
``interrupt()`` of the caller's graph."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol

from langgraph.errors import GraphInterrupt
from langgraph.types import Command, interrupt

from ..errors import PyfleetError

_YES = re.compile(r"^(yes|y|yep|yeah|ok|okay)[.!?]*$", re.IGNORECASE)


def create_approval_type(capability_name: str, operation_type: str | None = None) -> str:
    """``python_executor``, or ``<capability>_<operation>`` (e.g. ``memory_save``)."""
    return f"{capability_name}_{operation_type}" if operation_type else capability_name


def get_approval_resume_data(state: Mapping[str, Any], approval_type: str) -> tuple[bool, dict[str, Any] | None]:
    """Reads the human's answer from the agent state (``approval_approved``, ``approved_payload``).

    Returns ``(False, None)`` when there is no answer, ``(True, payload)`` when approved with a
    payload of ``approval_type``, ``(True, None)`` when rejected.

    Raises:
        ValueError: approved, but the payload is missing or of another approval type.
    """
    approved = state.get("approval_approved")
    if approved is None:
        return False, None
    if not approved:
        return True, None
    payload = state.get("approved_payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("approval_type"), str) or not payload["approval_type"]:
        raise ValueError("approval_approved is True but approved_payload has no approval_type")
    if payload["approval_type"] != approval_type:
        raise ValueError(f"approved payload is for {payload['approval_type']}, not {approval_type}")
    return True, payload


def clear_approval_state() -> dict[str, Any]:
    """The state update that forgets an answer once it has been used."""
    return {"approval_approved": None, "approved_payload": None}


def is_approving(answer: object) -> bool:
    """True for ``True``, ``{"approved": True}`` and yes/y/yep/yeah/ok/okay; everything else rejects."""
    if answer is True:
        return True
    if isinstance(answer, str):
        return bool(_YES.match(answer.strip()))
    return isinstance(answer, Mapping) and answer.get("approved") is True


class InterruptingService(Protocol):
    """What :func:`handle_service_with_interrupts` drives (the ``python_executor`` service)."""

    async def ainvoke(self, input: Any, config: Any = None) -> Any: ...

    async def approval_history(self, run_id: str) -> list[str]: ...


def resume_value(payload: Mapping[str, Any], answer: object, approval_id: str | None) -> dict[str, Any]:
    """The ``Command(resume=...)`` value for ``answer`` to the approval ``approval_id`` of the
    run in ``payload``: the payload, the answer's own keys (``reason``, ``feedback``), and
    ``approved`` normalised."""
    extra = dict(answer) if isinstance(answer, Mapping) else {}
    return {**payload, **extra, "approvalId": approval_id, "approved": is_approving(answer)}


async def handle_service_with_interrupts(
    service: InterruptingService,
    request: Any,
    config: Any,
    logger: logging.Logger | None = None,
    capability_name: str = "python_executor",
) -> Any:
    """Calls the service from inside a LangGraph node. When the run parks for approval, the
    caller's graph is interrupted with the approval payload (``{"user_message", "resume_payload"}``:
    code, its sha256, mode, findings, PV writes, notebook link). Resuming the caller with
    ``Command(resume={"approved": True})`` (or ``"yes"``) approves through the approver API with
    the caller's identity; ``{"approved": False}`` rejects; ``{"approved": False, "feedback": ...}``
    rejects and has new code generated, which may park again (another interrupt).

    The node runs again from the top on every resume; the service finds the same run by its
    thread id, and the n-th answer is applied to the n-th approval of the run, so an answer is
    never applied twice nor to code it was not given for.
    """
    log = logger or logging.getLogger("pyfleet.osprey")
    index = 0
    try:
        return await service.ainvoke(request, config)
    except GraphInterrupt as exc:
        pending = exc
    while True:
        value = _interrupt_value(pending)
        raw = value.get("resume_payload")
        payload: dict[str, Any] = raw if isinstance(raw, dict) else {}
        log.info("%s: run %s needs approval; interrupting the caller's graph", capability_name, payload.get("runId"))
        answer = interrupt(value)
        run_id = payload.get("runId")
        if not isinstance(run_id, str):
            raise PyfleetError("VALIDATION_FAILED", "the approval payload carries no runId")
        history = await service.approval_history(run_id)
        target = history[index] if index < len(history) else payload.get("approvalId")
        try:
            return await service.ainvoke(Command(resume=resume_value(payload, answer, target)), config)
        except GraphInterrupt as exc:
            pending = exc
            index += 1


def _interrupt_value(exc: GraphInterrupt) -> dict[str, Any]:
    interrupts = exc.args[0] if exc.args else ()
    first = interrupts[0] if interrupts else None
    value = getattr(first, "value", None)
    if not isinstance(value, dict):
        raise PyfleetError("INTERNAL", "the service raised an interrupt without an approval payload")
    return value
