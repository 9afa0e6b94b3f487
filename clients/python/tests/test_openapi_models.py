"""The pydantic models and the producer's /openapi.json cannot drift apart: every model is
compared with the schema of the same name (properties, required fields, JSON types, enums,
nested objects)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from pyfleet import models

from .conftest import Fleet

#: Model per schema of the producer's components (the request is the input form; the rest are
#: responses, validated as the client reads them).
PAIRS: dict[str, type[BaseModel]] = {
    "PythonExecutionRequest": models.RunRequest,
    "SubmittedRun": models.SubmittedRun,
    "RunRecord": models.RunRecord,
    "RunDetails": models.RunDetails,
    "RunList": models.RunList,
    "RunEvent": models.RunEvent,
    "CancelledRun": models.CancelledRun,
}


def _deref(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _variants(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a schema (anyOf / type lists split), each dereferenced."""
    schema = _deref(schema, defs)
    if "anyOf" in schema:
        return [v for s in schema["anyOf"] for v in _variants(s, defs)]
    t = schema.get("type")
    if isinstance(t, list):
        return [{**schema, "type": one} for one in t]
    return [schema]


def _kind(s: dict[str, Any]) -> str:
    if "enum" in s or "const" in s:
        values = s.get("enum", [s.get("const")])
        return "enum:" + ",".join(sorted(str(v) for v in values))
    t = s.get("type")
    if t == "integer":
        return "integer"
    return str(t) if t else "any"


def compare(
    path: str, ours: dict[str, Any], theirs: dict[str, Any], our_defs: dict[str, Any], problems: list[str], optional: bool = False
) -> None:
    """Appends every difference of ``ours`` (a pydantic schema) from ``theirs`` to ``problems``.
    ``optional``: the producer may leave the field out, which the client reads as None."""
    ov = {_kind(v): v for v in _variants(ours, our_defs)}
    tv = {_kind(v): v for v in _variants(theirs, {})}
    if optional and "null" in ov and "null" not in tv:
        del ov["null"]
    if set(ov) != set(tv):
        problems.append(f"{path}: client types {sorted(ov)} != producer types {sorted(tv)}")
        return
    for kind, o in ov.items():
        t = tv[kind]
        if kind == "object":
            op, tp = o.get("properties", {}), t.get("properties", {})
            if set(op) != set(tp):
                problems.append(f"{path}: client fields {sorted(op)} != producer fields {sorted(tp)}")
            oreq, treq = sorted(o.get("required", [])), sorted(t.get("required", []))
            if oreq != treq:
                problems.append(f"{path}: client required {oreq} != producer required {treq}")
            for name in set(op) & set(tp):
                compare(f"{path}.{name}", op[name], tp[name], our_defs, problems, optional=name not in treq)
            oa, ta = o.get("additionalProperties"), t.get("additionalProperties")
            if isinstance(oa, dict) and isinstance(ta, dict):
                compare(f"{path}[*]", oa, ta, our_defs, problems)
        elif kind == "array":
            compare(f"{path}[]", o.get("items", {}), t.get("items", {}), our_defs, problems)


@pytest.fixture(scope="module")
def openapi(fleet: Fleet) -> dict[str, Any]:
    res = httpx.get(f"{fleet.producer_url}/openapi.json")
    res.raise_for_status()
    doc: dict[str, Any] = res.json()
    return doc


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_model_matches_the_producer_schema(openapi: dict[str, Any], name: str) -> None:
    theirs = openapi["components"]["schemas"][name]
    model = PAIRS[name]
    ours = model.model_json_schema(by_alias=True, mode="validation" if name == "PythonExecutionRequest" else "serialization")
    problems: list[str] = []
    compare(name, ours, theirs, ours.get("$defs", {}), problems)
    assert problems == []


def test_the_comparison_catches_drift(openapi: dict[str, Any]) -> None:
    """A renamed field, a changed type and a new enum value are each reported."""
    theirs = openapi["components"]["schemas"]["RunRecord"]
    ours = models.RunRecord.model_json_schema(by_alias=True, mode="serialization")
    drifted = {**theirs, "properties": {**theirs["properties"]}}
    drifted["properties"]["runIdentifier"] = drifted["properties"].pop("runId")
    drifted["properties"]["attempts"] = {"type": "string"}
    drifted["properties"]["status"] = {
        **theirs["properties"]["status"],
        "enum": [*theirs["properties"]["status"]["enum"], "paused"],
    }
    problems: list[str] = []
    compare("RunRecord", ours, drifted, ours.get("$defs", {}), problems)
    assert any("runIdentifier" in p for p in problems)
    assert any("RunRecord.attempts" in p for p in problems)
    assert any("RunRecord.status" in p for p in problems)
