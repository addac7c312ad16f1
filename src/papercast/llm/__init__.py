"""The LLM layer: summary backends behind one small interface, found by name in a registry.

- ``base``: the ``SummaryBackend`` protocol, the job a backend gets, its errors.
- ``registry``: ``create_backend(settings, prompts)`` (``[llm] backend = auto|openai|extractive``).
- ``openai_backend``: any OpenAI-compatible server via the ``openai`` SDK (structured outputs,
  with a JSON-mode + validation + one-repair fallback).
- ``extractive``: the offline backend (no key, no server), clearly labelled.
- ``client``: the one place ``openai`` clients are built and their errors translated (also for
  the Batch API, the relevance pass, embeddings and TTS); ``pricing``: token costs.

The summarize stage (``papercast.summarize``) drives the backends; nothing here imports it.
"""

from papercast.llm.base import LLMCallError, SummaryBackend, SummaryJob
from papercast.llm.registry import BACKENDS, create_backend, resolve_backend_name

__all__ = [
    "BACKENDS",
    "LLMCallError",
    "SummaryBackend",
    "SummaryJob",
    "create_backend",
    "resolve_backend_name",
]
