"""Bad input gets the producer's field-named error as a Python exception, and creates nothing."""

from __future__ import annotations

import pytest

from pyfleet import PyfleetError

from .conftest import Fleet


def test_unknown_field_and_wrong_type_are_named_by_the_producer(fleet: Fleet) -> None:
    with fleet.client() as c:
        before = c.list(limit=500).runs
        with pytest.raises(PyfleetError) as info:
            c.submit({"user_query": "q", "task_objective": "t", "code": "results = {}", "retries": "three", "bogus": 1})
        after = c.list(limit=500).runs
    err = info.value
    assert err.code == "VALIDATION_FAILED"
    assert err.category == "validation"
    assert err.status == 400
    assert not err.retryable
    by_path = {i.path: i.message for i in err.issues}
    assert "expected number" in by_path["retries"]
    assert any("bogus" in m for m in by_path.values())
    assert "retries" in str(err)
    assert [r.run_id for r in after] == [r.run_id for r in before], "a rejected request created a run"


def test_field_limits_are_the_producers(fleet: Fleet) -> None:
    with fleet.client() as c, pytest.raises(PyfleetError) as info:
        c.submit({"user_query": "q", "task_objective": "t", "thread_id": "has spaces", "execution_method": "kubernetes"})
    paths = {i.path for i in info.value.issues}
    assert paths == {"thread_id", "execution_method"}


def test_unknown_run_is_not_found(fleet: Fleet) -> None:
    with fleet.client() as c, pytest.raises(PyfleetError) as info:
        c.get("no-such-run")
    assert info.value.code == "NOT_FOUND"
    assert info.value.status == 404


def test_wrong_token_is_unauthorized(fleet: Fleet) -> None:
    with fleet.client(token="not-a-token") as c, pytest.raises(PyfleetError) as info:
        c.list()
    assert info.value.code == "UNAUTHORIZED"
    assert info.value.status == 401
