"""A tiny third-party plugin package, installed into a folder on ``sys.path`` for the tests.

``install(folder)`` writes ``papercast_demo_plugin.py`` and its ``.dist-info`` (METADATA and
entry_points.txt), exactly what ``pip install`` leaves in site-packages, so
``importlib.metadata`` finds the entry points the way it finds a real plugin's. The plugin
registers one of each pluggable kind:

- ``echo`` (``papercast.llm_backends``): a summary whose TL;DR is "ECHO <title>";
- ``reverse`` (``papercast.rankers``): the candidates in the reverse of the given order;
- ``beep`` (``papercast.tts_engines``): a short tone for every text.
"""

from __future__ import annotations

from pathlib import Path

NAME = "papercast_demo_plugin"
VERSION = "0.1.0"

MODULE = '''
"""A papercast plugin: one summary backend, one ranker, one TTS engine."""

import numpy as np

from papercast.audio.engines.base import SynthResult
from papercast.audio.wav import pcm_to_wav
from papercast.llm.base import BackendResult
from papercast.models import CallLog, Summary, TTSCall, Usage
from papercast.rank.base import Scored


class EchoBackend:
    name = "echo"
    kind = "llm"
    model = "echo-1"

    async def summarize(self, job, record):
        record(CallLog(model=self.model, purpose="summary"))
        summary = Summary(
            tldr=f"ECHO {job.paper.title}",
            method="echoed",
            results="echoed",
            critiques="echoed",
            implications="echoed",
            significance=5,
            significance_reason="echoed",
            keywords=["echo"],
        )
        return BackendResult(summary=summary, usage=Usage(requests=1))

    async def aclose(self):
        pass


def make_backend(settings, prompts):
    return EchoBackend()


class ReverseRanker:
    name = "reverse"

    def score(self, candidates, profile, explain):
        scores = np.arange(len(candidates), dtype=np.float64)  # the last given ranks first
        return Scored(scores, ["reversed by the plugin"] * len(candidates))


def make_ranker(settings, db, run_id):
    return ReverseRanker()


class BeepEngine:
    name = "beep"
    voice = "beep-voice"

    def identity(self):
        return {"engine": "beep"}

    def synthesize(self, texts):
        tone = (np.sin(np.arange(12000) * 0.05) * 8000).astype("<i2").tobytes()
        for index, text in enumerate(texts):
            call = TTSCall(engine="beep", voice=self.voice, chars=len(text), audio_seconds=0.5)
            yield SynthResult(index=index, wav=pcm_to_wav(tone, 24000), calls=[call])


def make_engine(settings):
    return BeepEngine()
'''

ENTRY_POINTS = f"""[papercast.llm_backends]
echo = {NAME}:make_backend

[papercast.rankers]
reverse = {NAME}:make_ranker

[papercast.tts_engines]
beep = {NAME}:make_engine
"""


def install(folder: Path) -> Path:
    """Write the plugin package into ``folder`` (to be put on ``sys.path``); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{NAME}.py").write_text(MODULE.lstrip(), encoding="utf-8")
    info = folder / f"{NAME}-{VERSION}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {NAME.replace('_', '-')}\nVersion: {VERSION}\n",
        encoding="utf-8",
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return folder
