"""The LLM layer: backends behind one small interface, found by name in a registry.

- ``base``: the ``SummaryBackend`` protocol, the job a backend gets, the call log it reports.
- ``registry``: ``create_backend(settings)`` (``[llm] backend = auto|openai|extractive``).
- ``openai_backend``: any OpenAI-compatible server via the ``openai`` SDK (structured outputs,
  with a JSON-mode + validation + one-repair fallback).
- ``extractive``: the offline backend (no key, no server), clearly labelled.
- ``prompts``: the Jinja prompt files and their hash; ``pricing``: token costs;
  ``batch``: the OpenAI Batch API.
"""

from papercast.llm.base import CallLog, LLMCallError, SummaryBackend, SummaryJob
from papercast.llm.registry import backend_names, create_backend, resolve_backend_name

__all__ = [
    "CallLog",
    "LLMCallError",
    "SummaryBackend",
    "SummaryJob",
    "backend_names",
    "create_backend",
    "resolve_backend_name",
]
