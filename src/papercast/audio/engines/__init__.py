"""TTS engines, found by name: ``[audio] engine = "piper"`` (default) or ``"openai"``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from papercast.audio.engines.base import SynthResult, TTSEngine
from papercast.config import Settings
from papercast.errors import ConfigError


def _piper(settings: Settings) -> TTSEngine:
    from papercast.audio.engines.piper import PiperEngine

    return PiperEngine.from_settings(settings)


def _openai(settings: Settings) -> TTSEngine:
    from papercast.audio.engines.openai_tts import OpenAIEngine

    return OpenAIEngine.from_settings(settings)


ENGINES: Mapping[str, Callable[[Settings], TTSEngine]] = MappingProxyType(
    {"piper": _piper, "openai": _openai}
)


def get_engine(settings: Settings, name: str | None = None) -> TTSEngine:
    """The engine configured in ``[audio] engine`` (or ``name``), ready to synthesize."""
    name = name or settings.audio.engine
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ConfigError(
            f"unknown TTS engine {name!r}", f"choose one of: {', '.join(sorted(ENGINES))}"
        ) from None
    return factory(settings)


__all__ = ["ENGINES", "SynthResult", "TTSEngine", "get_engine"]
