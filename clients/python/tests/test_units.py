"""Pure functions: the SSE decoder and the original approval helpers (no fleet needed)."""

from __future__ import annotations

import pytest

from pyfleet import parse_sse
from pyfleet.osprey import clear_approval_state, create_approval_type, get_approval_resume_data, is_approving
from pyfleet.osprey.approval import resume_value


def test_sse_yields_only_complete_events() -> None:
    lines = [
        ": connected",
        "",
        "id: 1-0",
        "event: status",
        'data: {"a": 1}',
        "",
        "id: 2-0",
        "data: line1",
        "data: line2",
        "",
        "id: 3-0",
        "data: half",
    ]
    msgs = list(parse_sse(lines))
    assert [(m.id, m.event, m.data) for m in msgs] == [("1-0", "status", '{"a": 1}'), ("2-0", "message", "line1\nline2")]


def test_sse_strips_one_space_and_carriage_returns() -> None:
    msgs = list(parse_sse(["data:  two spaces\r", "\r"]))
    assert [m.data for m in msgs] == [" two spaces"]


def test_approval_types() -> None:
    assert create_approval_type("python_executor") == "python_executor"
    assert create_approval_type("memory", "save") == "memory_save"


def test_resume_data_none_approved_rejected_inconsistent() -> None:
    assert get_approval_resume_data({}, "python_executor") == (False, None)
    payload = {"approval_type": "python_executor", "runId": "r1"}
    assert get_approval_resume_data({"approval_approved": True, "approved_payload": payload}, "python_executor") == (
        True,
        payload,
    )
    assert get_approval_resume_data({"approval_approved": False, "approved_payload": payload}, "python_executor") == (True, None)
    with pytest.raises(ValueError, match="approval_type"):
        get_approval_resume_data({"approval_approved": True, "approved_payload": None}, "python_executor")
    with pytest.raises(ValueError, match="not python_executor"):
        get_approval_resume_data({"approval_approved": True, "approved_payload": {"approval_type": "memory_save"}}, "python_executor")


def test_clear_state_and_approving_answers() -> None:
    assert clear_approval_state() == {"approval_approved": None, "approved_payload": None}
    for yes in (True, "yes", "OK!", "y", " Yeah. ", {"approved": True}):
        assert is_approving(yes), yes
    for no in (False, "no", "maybe", "yes please", {"approved": False}, {"approved": "true"}, None, 1):
        assert not is_approving(no), no


def test_resume_value_binds_the_answer_to_one_approval() -> None:
    payload = {"approval_type": "python_executor", "runId": "r1", "approvalId": "current", "codeHash": "h"}
    value = resume_value(payload, {"approved": False, "feedback": "read only"}, "first")
    assert value == {**payload, "approvalId": "first", "approved": False, "feedback": "read only"}
    assert resume_value(payload, "yes", "current")["approved"] is True
