"""run_code against the real fleet: results, stdout, figures, notebook; user errors as data."""

from __future__ import annotations

import socket

import pytest

from pyfleet import PyfleetError

from .conftest import Fleet

PLOT = """
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
values = context['ARCHIVER']['values']
print('points:', len(values))
plt.plot(values)
results = {'mean': sum(values) / len(values), 'n': len(values)}
"""


def test_run_code_returns_results_stdout_figures_and_notebook(fleet: Fleet) -> None:
    with fleet.client() as c:
        ex = c.run_code(PLOT, context={"ARCHIVER": {"values": [1, 2, 3, 6]}})
        assert ex.error is None
        assert ex.results == {"mean": 3, "n": 4}
        assert ex.stdout == "points: 4\n"
        assert len(ex.figures) == 1
        assert ex.figures[0].mime == "image/png"
        assert ex.figures[0].data.startswith(b"\x89PNG\r\n")
        assert ex.notebook_url is not None
        assert ex.run_id in ex.notebook_url
        nb = c.notebook(ex.run_id)
        assert any("plt.plot(values)" in "".join(cell["source"]) for cell in nb["cells"])
        assert "figures/figure_01.png" in c.artifacts(ex.run_id)
        run = c.get(ex.run_id)
        assert run.status == "completed"
        assert run.requester == fleet.producer_identity


def test_user_code_error_is_data_not_an_exception(fleet: Fleet) -> None:
    with fleet.client() as c:
        ex = c.run_code("print('before the error')\nvalues = [1, 2]\nvalues[5]")
    assert ex.error is not None
    assert ex.error.name == "IndexError"
    assert ex.error.value == "list index out of range"
    assert "values[5]" in ex.error.traceback
    assert ex.error.category == "code"
    assert ex.stdout == "before the error\n"
    assert ex.results == {}


def test_syntax_error_is_data_too(fleet: Fleet) -> None:
    with fleet.client() as c:
        ex = c.run_code("def broken(:\n    pass")
    assert ex.error is not None
    assert ex.error.name == "SYNTAX_ERROR"
    assert ex.error.category == "code"


@pytest.mark.anyio
async def test_async_run_code(fleet: Fleet) -> None:
    async with fleet.async_client() as c:
        ex = await c.run_code("import math\nresults = {'pi': round(math.pi, 3)}\nprint('ok')")
        assert ex.results == {"pi": 3.142}
        assert ex.stdout == "ok\n"
        assert ex.figures == []
        assert (await c.get(ex.run_id)).status == "completed"


def test_unreachable_fleet_is_raised_as_infrastructure(fleet: Fleet) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with fleet.client(url=f"http://127.0.0.1:{port}") as c, pytest.raises(PyfleetError) as info:
        c.run_code("results = {}")
    assert info.value.code == "BACKEND_UNAVAILABLE"
    assert info.value.category == "infrastructure"
    assert info.value.retryable


def test_timeout_cancels_the_run(fleet: Fleet) -> None:
    with fleet.client() as c:
        with pytest.raises(PyfleetError) as info:
            c.run_code("import time\ntime.sleep(60)\nresults = {}", timeout=2)
        assert info.value.code == "WAIT_TIMEOUT"
        run_id = info.value.details["runId"]
        run = c.wait(run_id, timeout=60)
    assert run.status == "cancelled"
