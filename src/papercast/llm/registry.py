"""Summary backends found by name: built-ins plus ``papercast.llm_backends`` entry points.

``[llm] backend = "auto"`` picks ``openai`` when a key or a base URL is configured (a local
server such as Ollama needs no key), else ``extractive``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from types import MappingProxyType

from papercast.config import Settings
from papercast.errors import ConfigError
from papercast.llm.base import RepairPrompts, SummaryBackend
from papercast.llm.client import configured, endpoint

BackendFactory = Callable[[Settings, RepairPrompts], SummaryBackend]
ENTRY_POINT_GROUP = "papercast.llm_backends"


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


BUILTIN: Mapping[str, BackendFactory] = MappingProxyType(
    {"openai": _openai, "extractive": _extractive}
)


def _plugins() -> dict[str, BackendFactory]:
    found: dict[str, BackendFactory] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = entry.load()
    return found


def backend_names() -> list[str]:
    return sorted({*BUILTIN, *_plugins()})


def resolve_backend_name(settings: Settings) -> str:
    """The backend ``auto`` stands for, or the configured one."""
    name = settings.llm.backend
    if name != "auto":
        return name
    return "openai" if configured(settings) else "extractive"


def create_backend(settings: Settings, prompts: RepairPrompts) -> SummaryBackend:
    name = resolve_backend_name(settings)
    factories = {**_plugins(), **BUILTIN}
    factory = factories.get(name)
    if factory is None:
        raise ConfigError(
            f"unknown [llm] backend {name!r}", f"choose one of: {', '.join(backend_names())}"
        )
    return factory(settings, prompts)
