"""The original documentation's DataAnalysisCapability, in Python against a pyfleet fleet.

A capability is one node of an agent's LangGraph graph. It hands archived data to the Python
executor service (``get_registry().get_service("python_executor")``) with a task and stores the
computed statistics in the agent state. When the generated code needs a human (it writes to
EPICS, say), the fleet parks the run and the agent's graph pauses with the approval payload;
resuming the graph with the human's answer passes it to the fleet's approver and finishes the run.

The capability is written exactly as for the original service; only the imports changed.

Run it against ``pyfleet dev`` (which prints the URLs and the dev token)::

    export PYFLEET_URL=http://127.0.0.1:8080 PYFLEET_APPROVER_URL=http://127.0.0.1:8081 PYFLEET_TOKEN=<dev token>
    python examples/python/data_analysis_capability.py "How stable was the beam current?"
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from pyfleet import PyfleetError
from pyfleet.osprey import (
    PythonExecutionRequest,
    clear_approval_state,
    create_approval_type,
    get_approval_resume_data,
    get_registry,
    handle_service_with_interrupts,
)

logger = logging.getLogger("data_analysis")


class AgentState(TypedDict, total=False):
    """The agent state of the example graph (the original's approval fields included)."""

    user_query: str
    archiver_data: dict[str, dict[str, list[Any]]]
    context_key: str
    analysis_results: dict[str, Any] | None
    figure_paths: list[str]
    notebook_link: str | None
    generated_code: str | None
    error: str | None
    approval_approved: bool | None
    approved_payload: dict[str, Any] | None


def data_analysis_request(state: AgentState) -> PythonExecutionRequest:
    """The request the capability sends to the Python executor."""
    return PythonExecutionRequest(
        user_query=state["user_query"],
        task_objective="Compute statistics (mean, min, max, std) of every archived PV and plot them over time",
        expected_results={"statistics": "dict: PV name -> {mean, min, max, std}"},
        capability_prompts=[
            "CONTEXT ACCESS DESCRIPTION: context['ARCHIVER_DATA'][pv] holds {'timestamps': [...], 'values': [...]}",
            "Store the statistics in results['statistics'] and save one figure.",
        ],
        execution_folder_name="data_analysis",
        capability_context_data={"ARCHIVER_DATA": state.get("archiver_data", {})},
    )


async def data_analysis_node(state: AgentState) -> dict[str, Any]:
    """The capability: the original's execute(), unchanged in shape."""
    python_service = get_registry().get_service("python_executor")
    service_config = {
        "configurable": {
            "thread_id": f"python_service_{state.get('context_key', 'default')}",
            "checkpoint_ns": "python_executor",
        }
    }
    # An answer that arrived through the agent state (the original Gateway's path) ...
    has_approval_resume, approved_payload = get_approval_resume_data(state, create_approval_type("python_executor"))
    try:
        if has_approval_resume:
            resume = {"approved": True, **approved_payload} if approved_payload else {"approved": False}
            service_result = await python_service.ainvoke(Command(resume=resume), config=service_config)
        else:
            # ... or a fresh request: a run parked for approval interrupts this graph.
            service_result = await handle_service_with_interrupts(
                service=python_service,
                request=data_analysis_request(state),
                config=service_config,
                logger=logger,
                capability_name="data_analysis",
            )
    except PyfleetError as exc:
        return {
            "analysis_results": None,
            "error": f"{exc.code}: {exc.message}",
            **clear_approval_state(),
        }
    result = service_result.execution_result
    return {
        "analysis_results": result.results,
        "figure_paths": result.figure_paths,
        "notebook_link": result.notebook_link,
        "generated_code": service_result.generated_code,
        "error": None,
        **clear_approval_state(),
    }


def build_data_analysis_graph(
    checkpointer: BaseCheckpointSaver[Any],
) -> CompiledStateGraph[AgentState, None, AgentState, AgentState]:
    """The agent graph with the capability as its only node, on the caller's checkpointer."""
    graph = StateGraph(AgentState)
    graph.add_node("data_analysis", data_analysis_node)
    graph.add_edge(START, "data_analysis")
    graph.add_edge("data_analysis", END)
    return graph.compile(checkpointer=checkpointer)


async def main(question: str) -> None:
    graph = build_data_analysis_graph(InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": f"agent-{uuid.uuid4().hex[:8]}"}}
    archive: dict[str, dict[str, list[Any]]] = {
        "SR:DCCT:CURRENT": {
            "timestamps": ["t0", "t1", "t2", "t3"],
            "values": [500.1, 501.9, 498.7, 500.4],
        }
    }
    start = AgentState(user_query=question, archiver_data=archive, context_key=uuid.uuid4().hex[:8])
    state: dict[str, Any] = await graph.ainvoke(start, config)
    while "__interrupt__" in state:
        print(state["__interrupt__"][0].value["user_message"])
        answer = (await asyncio.to_thread(input, "approve? [yes/no] ")).strip()
        state = await graph.ainvoke(Command(resume=answer), config)
    print(
        "error:" if state.get("error") else "results:",
        state.get("error") or state.get("analysis_results"),
    )
    print("notebook:", state.get("notebook_link"))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "How stable was the beam current?"))
