"""The Summary JSON schema as servers are asked for it, one ``response_format`` per rung.

Servers differ in what they accept (docs/llm-servers.md): OpenAI and vLLM take
``json_schema`` (structured outputs); llama.cpp's Python server rejects it but constrains
``json_object`` to a ``schema`` given beside it; others take plain ``json_object`` or nothing.
``FORMATS`` is that ladder, from the strongest guarantee down; a backend starts at the top and
steps down when a server rejects a rung.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Literal

from papercast.models import Summary

ResponseFormat = Literal["json_schema", "json_object_schema", "json_object", "prompt"]
FORMATS: tuple[ResponseFormat, ...] = ("json_schema", "json_object_schema", "json_object", "prompt")


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items() if k != "default"}
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def _strict_schema() -> dict[str, Any]:
    return dict(_strict(copy.deepcopy(Summary.model_json_schema())))


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Any pydantic JSON schema made strict: every property required, no others allowed."""
    return dict(_strict(copy.deepcopy(schema)))


def summary_schema() -> dict[str, Any]:
    """Summary's JSON schema, strict: every property required, no others allowed."""
    return copy.deepcopy(_strict_schema())


def summary_response_format(kind: ResponseFormat = "json_schema") -> dict[str, Any] | None:
    """The ``response_format`` request field for one rung (None: the prompt alone asks)."""
    return response_format("Summary", summary_schema(), kind)


def response_format(
    name: str, schema: dict[str, Any], kind: ResponseFormat = "json_schema"
) -> dict[str, Any] | None:
    """The ``response_format`` request field asking for ``schema`` on one rung of the ladder."""
    if kind == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        }
    if kind == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if kind == "json_object":
        return {"type": "json_object"}
    return None
