"""The original documentation's two-stage pipeline, in Python against a pyfleet fleet.

A preprocessing run cleans raw samples (drops outliers); an analysis run receives the cleaned
data as context and computes statistics and a figure. Each stage is a node of the caller's
LangGraph graph and a separate fleet run on its own service thread. The code of both stages is
given (``code=``), so no LLM is involved.

Run it against ``pyfleet dev``::

    export PYFLEET_URL=http://127.0.0.1:8080 PYFLEET_TOKEN=<dev token>
    python examples/python/two_stage_pipeline.py
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from pyfleet.osprey import (
    PythonExecutionRequest,
    get_registry,
    handle_service_with_interrupts,
)

#: Stage 1: drop samples more than 3 median absolute deviations from the median.
PREPROCESS_CODE = """
import statistics
raw = context["RAW_DATA"]["samples"]
med = statistics.median(raw)
mad = statistics.median([abs(x - med) for x in raw]) or 1.0
cleaned = [x for x in raw if abs(x - med) <= 3 * mad]
results = {"cleaned": cleaned, "dropped": len(raw) - len(cleaned)}
"""

#: Stage 2: statistics and a histogram of the cleaned samples.
ANALYSIS_CODE = """
import statistics
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = context["PREPROCESSED"]["cleaned"]
plt.hist(data, bins=10)
plt.title("cleaned samples")
results = {"statistics": {"n": len(data), "mean": statistics.mean(data), "stdev": statistics.stdev(data)}}
"""


class PipelineState(TypedDict, total=False):
    samples: list[float]
    session_id: str
    cleaned: list[float] | None
    dropped: int
    statistics: dict[str, Any] | None
    figures: list[str]


async def preprocess(state: PipelineState) -> dict[str, Any]:
    service = get_registry().get_service("python_executor")
    result = await handle_service_with_interrupts(
        service,
        PythonExecutionRequest(
            user_query="clean the beam current samples",
            task_objective="preprocessing: remove outliers",
            expected_results={"cleaned": "list[float]", "dropped": "int"},
            execution_folder_name="preprocessing",
            capability_context_data={"RAW_DATA": {"samples": state["samples"]}},
            code=PREPROCESS_CODE,
        ),
        {"configurable": {"thread_id": f"{state['session_id']}-preprocess"}},
    )
    res = result.execution_result.results
    return {"cleaned": res["cleaned"], "dropped": res["dropped"]}


async def analyze(state: PipelineState) -> dict[str, Any]:
    service = get_registry().get_service("python_executor")
    result = await handle_service_with_interrupts(
        service,
        PythonExecutionRequest(
            user_query="analyse the cleaned samples",
            task_objective="analysis: statistics and histogram",
            expected_results={"statistics": "dict"},
            execution_folder_name="analysis",
            capability_context_data={"PREPROCESSED": {"cleaned": state.get("cleaned") or []}},
            code=ANALYSIS_CODE,
        ),
        {"configurable": {"thread_id": f"{state['session_id']}-analysis"}},
    )
    return {
        "statistics": result.execution_result.results["statistics"],
        "figures": result.execution_result.figure_paths,
    }


def build_two_stage_pipeline(
    checkpointer: BaseCheckpointSaver[Any],
) -> CompiledStateGraph[PipelineState, None, PipelineState, PipelineState]:
    """preprocess → analyze, on the caller's checkpointer."""
    graph = StateGraph(PipelineState)
    graph.add_node("preprocess", preprocess)
    graph.add_node("analyze", analyze)
    graph.add_edge(START, "preprocess")
    graph.add_edge("preprocess", "analyze")
    graph.add_edge("analyze", END)
    return graph.compile(checkpointer=checkpointer)


async def main() -> None:
    graph = build_two_stage_pipeline(InMemorySaver())
    samples = [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 250.0, 11.0, 9.0, 10.0, -300.0]
    out = await graph.ainvoke(
        {"samples": samples, "session_id": f"session-{uuid.uuid4().hex[:8]}"},
        {"configurable": {"thread_id": "pipeline"}},
    )
    print("cleaned:", out["cleaned"], "dropped:", out["dropped"])
    print("statistics:", out["statistics"], "figures:", out["figures"])


if __name__ == "__main__":
    asyncio.run(main())
