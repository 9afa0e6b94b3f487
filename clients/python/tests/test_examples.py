"""examples/python/two_stage_pipeline.py against the real fleet (the data-analysis example is
exercised by test_osprey_graph.py)."""

from __future__ import annotations

import sys
import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from pyfleet.osprey import get_registry

from .conftest import REPO, Fleet

sys.path.insert(0, str(REPO / "examples" / "python"))
from two_stage_pipeline import build_two_stage_pipeline


@pytest.mark.anyio
async def test_two_stage_pipeline_feeds_preprocessing_into_analysis(fleet: Fleet) -> None:
    get_registry(url=fleet.producer_url, token=fleet.producer_token, wait_timeout=120)
    graph = build_two_stage_pipeline(InMemorySaver())
    samples = [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 250.0, 11.0, 9.0, 10.0, -300.0]
    out = await graph.ainvoke(
        {"samples": samples, "session_id": f"session-{uuid.uuid4().hex[:8]}"}, {"configurable": {"thread_id": "pipeline"}}
    )
    assert out["cleaned"] == [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 11.0, 9.0, 10.0]
    assert out["dropped"] == 2
    assert out["statistics"]["n"] == 9
    assert out["statistics"]["mean"] == pytest.approx(10.222, abs=1e-3)
    assert len(out["figures"]) == 1
    assert out["figures"][0].endswith(".png")
