"""events(): SSE with reconnection from the last event id, through real dropped connections."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from pyfleet import Client

from .conftest import Fleet
from .cutting_proxy import cutting_proxy

TICKS = """
import time
for i in range(6):
    print('tick', i, flush=True)
    time.sleep(0.25)
results = {'ticks': 6}
"""


def _reference(fleet: Fleet, run_id: str) -> list[str]:
    """Every event id of the finished run, read directly (no proxy)."""
    with fleet.client() as c:
        assert c.wait(run_id, timeout=120).status == "completed"
        return [e.id or "" for e in c.events(run_id, follow=False)]


def test_events_survive_dropped_connections_without_loss_or_repeats(fleet: Fleet) -> None:
    port = urlparse(fleet.producer_url).port
    assert port is not None
    with fleet.client() as c:
        run_id = c.submit({"user_query": "ticks", "task_objective": "print ticks", "code": TICKS})
    # Cut the first two streams mid-event (the first ~700 bytes hold the HTTP head and an event or two).
    with (
        cutting_proxy(port, [700, 900]) as proxy,
        Client(url=f"http://127.0.0.1:{proxy.port}", token=fleet.producer_token) as via,
    ):
        seen = list(via.events(run_id))
        assert proxy.cut_done >= 2
        assert proxy.connections >= 3
    ids = [e.id for e in seen]
    assert len(ids) == len(set(ids)), "an event was repeated"
    assert ids == _reference(fleet, run_id), "an event was lost or reordered"
    assert seen[-1].type == "finished"
    assert "".join(e.data["text"] for e in seen if e.type == "stdout") == "".join(f"tick {i}\n" for i in range(6))


@pytest.mark.anyio
async def test_async_events_resume_from_a_given_event_id_and_after_drops(fleet: Fleet) -> None:
    port = urlparse(fleet.producer_url).port
    assert port is not None
    async with fleet.async_client() as c:
        run_id = await c.submit({"user_query": "ticks", "task_objective": "print ticks", "code": TICKS})
        reference = _reference(fleet, run_id)
        # Resuming after the third event yields exactly the rest, also across a dropped connection.
        with cutting_proxy(port, [600]) as proxy:
            async with fleet.async_client(url=f"http://127.0.0.1:{proxy.port}") as via:
                rest = [e.id async for e in via.events(run_id, last_event_id=reference[2])]
            assert proxy.cut_done == 1
        assert rest == reference[3:]
