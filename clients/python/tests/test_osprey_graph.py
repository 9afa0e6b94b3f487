"""The original API in a real Python LangGraph graph (langgraph from PyPI, its checkpointer):
the example DataAnalysisCapability parks on an EPICS write, the graph's interrupt carries the
approval payload, and the answer given to the graph decides the run through the approver."""

from __future__ import annotations

import hashlib
import sys
import uuid
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from pyfleet.osprey import PythonExecutionRequest, PythonExecutorService, get_registry

from .conftest import REPO, Fleet

sys.path.insert(0, str(REPO / "examples" / "python"))
from data_analysis_capability import AgentState, build_data_analysis_graph

PV = "SR:MAG:QF1:CURRENT_SP"
# As the fleet keeps code extracted from a reply: with its final newline.
WRITE_CODE = f"""import epics
ok = epics.caput('{PV}', 102.5, wait=True, timeout=2)
results = {{'statistics': {{'put_ok': ok == 1}}}}
"""
READ_CODE = "results = {'statistics': {'setpoint_reported': True}}\n"


def fenced(code: str) -> str:
    return f"Here is the code:\n```python\n{code}```"


@pytest.fixture
def registry(fleet: Fleet) -> None:
    """The process registry pointed at the test fleet, with an approver identity."""
    get_registry(
        url=fleet.producer_url,
        token=fleet.producer_token,
        approver_url=fleet.approver_url,
        approver_token=fleet.approver_token,
        wait_timeout=120,
    )
    return


async def park(fleet: Fleet, graph: Any, cfg: RunnableConfig) -> dict[str, Any]:
    """Runs the capability until the fleet parks its write run; returns the interrupt value."""
    key = uuid.uuid4().hex[:8]
    state = await graph.ainvoke(AgentState(user_query="raise QF1 a little", archiver_data={}, context_key=key), cfg)
    assert "__interrupt__" in state, f"the graph did not pause: {state}"
    value: dict[str, Any] = state["__interrupt__"][0].value
    return value


@pytest.mark.anyio
@pytest.mark.usefixtures("registry")
async def test_write_parks_interrupts_the_graph_and_yes_runs_it_on_the_write_executor(fleet: Fleet) -> None:
    fleet.llm_replies(fenced(WRITE_CODE))
    graph = build_data_analysis_graph(InMemorySaver())
    cfg: RunnableConfig = {"configurable": {"thread_id": f"agent-{uuid.uuid4().hex[:6]}"}}
    value = await park(fleet, graph, cfg)

    assert "HUMAN APPROVAL REQUIRED" in value["user_message"]
    payload = value["resume_payload"]
    assert payload["approval_type"] == "python_executor"
    assert payload["execution_mode"] == "write_access"
    assert payload["code"] == WRITE_CODE
    assert payload["codeHash"] == hashlib.sha256(WRITE_CODE.encode()).hexdigest()
    assert [w["pv"] for w in payload["pv_writes"]] == [PV]
    assert any(PV in c for c in payload["safety_concerns"])
    assert (await graph.aget_state(cfg)).next == ("data_analysis",)

    with fleet.client() as c:
        run = c.get(payload["runId"])
        assert run.status == "awaiting_approval"
        assert run.approval_id == payload["approvalId"]
        assert run.thread_id.startswith("python_service_")
        assert run.checkpoint_ns == "python_executor"

        puts_before = fleet.ioc_put_count(PV)
        done = await graph.ainvoke(Command(resume={"approved": True}), cfg)
        assert "__interrupt__" not in done
        assert done["error"] is None
        assert done["analysis_results"] == {"statistics": {"put_ok": True}}
        # Counted at the device: the approved write reached the IOC exactly once.
        assert fleet.ioc_put_count(PV) == puts_before + 1
        assert fleet.ioc_get(PV) == pytest.approx(102.5)
        assert done["generated_code"] == WRITE_CODE
        assert done["approval_approved"] is None

        run = c.get(payload["runId"])
        assert run.status == "completed"
        assert run.mode == "write_access"
        approval = c.approval(payload["approvalId"])
        assert approval.status == "approved"
        assert [(v.identity, v.decision) for v in approval.votes] == [(fleet.approver_identity, "approve")]
        assert approval.kernel_name == "python3-epics-write"


@pytest.mark.anyio
@pytest.mark.usefixtures("registry")
async def test_no_rejects_and_ends_the_run(fleet: Fleet) -> None:
    fleet.llm_replies(fenced(WRITE_CODE))
    graph = build_data_analysis_graph(InMemorySaver())
    cfg: RunnableConfig = {"configurable": {"thread_id": f"agent-{uuid.uuid4().hex[:6]}"}}
    payload = (await park(fleet, graph, cfg))["resume_payload"]
    puts_before = fleet.ioc_put_count(PV)

    done = await graph.ainvoke(Command(resume="no"), cfg)
    assert fleet.ioc_put_count(PV) == puts_before
    assert done["analysis_results"] is None
    assert done["error"].startswith("APPROVAL_REJECTED")
    with fleet.client() as c:
        assert c.get(payload["runId"]).status == "rejected"
        approval = c.approval(payload["approvalId"])
        assert approval.status == "rejected"
        assert [v.decision for v in approval.votes] == ["reject"]


@pytest.mark.anyio
async def test_caller_without_the_approver_role_gets_a_clear_error_and_nothing_is_decided(fleet: Fleet) -> None:
    get_registry(
        url=fleet.producer_url,
        token=fleet.producer_token,
        approver_url=fleet.approver_url,
        approver_token=fleet.viewer_token,
        wait_timeout=120,
    )
    fleet.llm_replies(fenced(WRITE_CODE))
    graph = build_data_analysis_graph(InMemorySaver())
    cfg: RunnableConfig = {"configurable": {"thread_id": f"agent-{uuid.uuid4().hex[:6]}"}}
    payload = (await park(fleet, graph, cfg))["resume_payload"]
    puts_before = fleet.ioc_put_count(PV)

    done = await graph.ainvoke(Command(resume={"approved": True}), cfg)
    assert fleet.ioc_put_count(PV) == puts_before
    assert done["error"].startswith("APPROVAL_FORBIDDEN")
    assert "approver role" in done["error"]
    assert "nothing was decided" in done["error"]
    with fleet.client() as c:
        assert c.get(payload["runId"]).status == "awaiting_approval"
        approval = c.approval(payload["approvalId"])
        assert approval.status == "pending"
        assert approval.votes == []
        c.cancel(payload["runId"])
        assert c.wait(payload["runId"], timeout=60).status == "cancelled"


@pytest.mark.anyio
@pytest.mark.usefixtures("registry")
async def test_rejection_with_feedback_regenerates_the_code(fleet: Fleet) -> None:
    fleet.llm_replies(fenced(WRITE_CODE), fenced(READ_CODE))
    prompts_before = len(fleet.llm_prompts())
    graph = build_data_analysis_graph(InMemorySaver())
    cfg: RunnableConfig = {"configurable": {"thread_id": f"agent-{uuid.uuid4().hex[:6]}"}}
    payload = (await park(fleet, graph, cfg))["resume_payload"]
    puts_before = fleet.ioc_put_count(PV)

    feedback = "Do not write to the magnet; only report that the setpoint was checked."
    done = await graph.ainvoke(Command(resume={"approved": False, "feedback": feedback}), cfg)
    assert done["error"] is None
    assert done["analysis_results"] == {"statistics": {"setpoint_reported": True}}
    assert done["generated_code"] == READ_CODE
    prompts = fleet.llm_prompts()[prompts_before:]
    assert len(prompts) == 2
    assert feedback in prompts[1]
    assert fleet.ioc_put_count(PV) == puts_before
    with fleet.client() as c:
        run = c.get(payload["runId"])
        assert run.status == "completed"
        assert run.mode == "read_only"
        assert run.attempts == 2
        assert c.approval(payload["approvalId"]).status == "rejected"


@pytest.mark.anyio
@pytest.mark.usefixtures("registry")
async def test_answer_through_the_agent_state_as_the_original_gateway_gave_it(fleet: Fleet) -> None:
    fleet.llm_replies(fenced(WRITE_CODE))
    graph = build_data_analysis_graph(InMemorySaver())
    cfg: RunnableConfig = {"configurable": {"thread_id": f"agent-{uuid.uuid4().hex[:6]}"}}
    value = await park(fleet, graph, cfg)
    payload = value["resume_payload"]
    key = (await graph.aget_state(cfg)).values["context_key"]

    # The Gateway's way: the next turn carries approval_approved / approved_payload in the state.
    turn: RunnableConfig = {"configurable": {"thread_id": f"agent-turn-{uuid.uuid4().hex[:6]}"}}
    answer = AgentState(user_query="yes", archiver_data={}, context_key=key, approval_approved=True, approved_payload=payload)
    done = await graph.ainvoke(answer, turn)
    assert done["error"] is None
    assert done["analysis_results"] == {"statistics": {"put_ok": True}}
    assert done["approval_approved"] is None
    with fleet.client() as c:
        assert c.get(payload["runId"]).status == "completed"


@pytest.mark.anyio
@pytest.mark.usefixtures("registry")
async def test_service_honours_thread_checkpoint_ns_and_execution_method(fleet: Fleet) -> None:
    service = get_registry().get_service("python_executor")
    assert isinstance(service, PythonExecutorService)
    request = PythonExecutionRequest(
        user_query="where does this run",
        task_objective="report the backend",
        code="import sys\nresults = {'in_kernel': 'ipykernel' in sys.modules}",
    )
    thread = f"conversation-{uuid.uuid4().hex[:8]}"
    local = await service.ainvoke(request, {"configurable": {"thread_id": thread, "checkpoint_ns": "cap-a", "execution_method": "local"}})
    kernel = await service.ainvoke(request, {"configurable": {"thread_id": f"{thread}-b", "checkpoint_ns": "cap-b"}})
    assert local.execution_result.results == {"in_kernel": False}
    assert kernel.execution_result.results == {"in_kernel": True}
    assert local.execution_result.notebook_link is not None
    with fleet.client() as c:
        run = c.get(local.run_id)
        assert (run.thread_id, run.checkpoint_ns, run.status) == (thread, "cap-a", "completed")
        # The same thread again, its run finished: a new run on a thread derived from it.
        again = await service.ainvoke(
            request, {"configurable": {"thread_id": thread, "checkpoint_ns": "cap-a", "execution_method": "local"}}
        )
        assert again.run_id != local.run_id
        assert c.get(again.run_id).thread_id.startswith(f"{thread}.")
