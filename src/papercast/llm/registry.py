"""Summary backends by name (``[llm] backend``): the built-ins, or a plugin's (``papercast.plugins``).

``[llm] backend = "auto"`` picks ``openai`` when a key or a base URL is configured (a local
server such as Ollama needs no key), else ``extractive``.
"""

from __future__ import annotations

from papercast.config import LLM_BACKEND, Settings
from papercast.llm.base import RepairPrompts, SummaryBackend
from papercast.llm.client import configured, endpoint
from papercast.plugins import Registry


def _openai(settings: Settings, prompts: RepairPrompts) -> SummaryBackend:
    from papercast.llm.openai_backend import OpenAIBackend, OpenAIOptions

    config = settings.llm
    options = OpenAIOptions(
        model=config.model,
        temperature=config.temperature,
        max_output_tokens=config.max_output_tokens,
    )
    return OpenAIBackend(options, endpoint(settings, "summary"), config, prompts)


def _extractive(settings: Settings, prompts: RepairPrompts) -> SummaryBackend:
    from papercast.llm.extractive import ExtractiveBackend

    return ExtractiveBackend()


BACKENDS: Registry[[Settings, RepairPrompts], SummaryBackend] = Registry(
    LLM_BACKEND, {"openai": _openai, "extractive": _extractive}
)


def resolve_backend_name(settings: Settings) -> str:
    """The backend ``auto`` stands for, or the configured one."""
    name = settings.llm.backend
    if name != "auto":
        return name
    return "openai" if configured(settings) else "extractive"


def create_backend(settings: Settings, prompts: RepairPrompts) -> SummaryBackend:
    """The configured backend, ready to summarize."""
    return BACKENDS.create(resolve_backend_name(settings), settings, prompts)
