"""TTS engines by name (``[audio] engine``): piper (default), openai, or a plugin's
(``papercast.plugins``). A factory gets the settings and returns a ready engine."""

from __future__ import annotations

from papercast.audio.engines.base import SynthResult, TTSEngine
from papercast.config import TTS_ENGINE, Settings
from papercast.plugins import Registry


def _piper(settings: Settings) -> TTSEngine:
    from papercast.audio.engines.piper import PiperEngine

    return PiperEngine.from_settings(settings)


def _openai(settings: Settings) -> TTSEngine:
    from papercast.audio.engines.openai_tts import OpenAIEngine

    return OpenAIEngine.from_settings(settings)


ENGINES: Registry[[Settings], TTSEngine] = Registry(
    TTS_ENGINE, {"piper": _piper, "openai": _openai}
)


def create_engine(settings: Settings, name: str | None = None) -> TTSEngine:
    """The engine configured in ``[audio] engine`` (or ``name``), ready to synthesize."""
    return ENGINES.create(name or settings.audio.engine, settings)


__all__ = ["ENGINES", "SynthResult", "TTSEngine", "create_engine"]
