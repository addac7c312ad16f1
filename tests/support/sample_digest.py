"""SHA-256 digests of everything ``papercast run --sample`` writes, to prove a change kept them.

The sample is run in a fresh process in a temporary directory, with onnxruntime's random seed
fixed and one Piper worker: Piper's voice samples noise, so two ordinary runs differ in the
audio (and in what depends on its length: chapters, the feed, the page's "Listen" line). With
the seed fixed the whole output is reproducible on one machine. Another CPU may round
differently inside onnxruntime, so the digest file also records a short probe synthesis: where
the probe differs, the audio-dependent files are compared with the measured numbers masked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIGEST_FILE = ROOT / "tests" / "sample-digest.json"
WEEK = "2024-W41"
SEED = 1234

# Written by the sample run, relative to papercast-out/.
TEXT_FILES = (
    f"{WEEK}/issue.md",
    f"{WEEK}/issue.txt",
    f"{WEEK}/email.html",
    f"{WEEK}/substack.html",
    f"{WEEK}/issue.bib",
)
AUDIO_DEPENDENT = (
    f"{WEEK}/issue.html",
    f"{WEEK}/chapters.json",
    f"{WEEK}/feed.xml",
    "feed.xml",
    f"{WEEK}/run.json",
)
AUDIO = f"{WEEK}/episode.mp3"

# run.json keys that change on every run (wall-clock times, the log's temporary path).
_VOLATILE_RUN_KEYS = ("stages", "log_file")
# Numbers measured from the audio: durations, times, byte lengths.
_AUDIO_NUMBERS = [
    re.compile(r"(\"(?:startTime|endTime|audio_seconds|audio_duration)\": )[^,\n]+"),
    re.compile(r"(Listen to this issue \()[0-9:]+"),
    re.compile(r"(<itunes:duration>)[0-9:]+"),
    re.compile(r"(length=\")[0-9]+"),
]

_RUNNER = """
import sys
import onnxruntime
onnxruntime.set_seed(int(sys.argv[1]))
from papercast.cli import main
sys.argv = ["papercast", *sys.argv[2:]]
main()
"""

_PROBE = """
import hashlib, sys
import onnxruntime
onnxruntime.set_seed(int(sys.argv[1]))
from papercast.audio.engines.piper import PiperEngine, PiperOptions, default_voice
model, config = default_voice()
engine = PiperEngine(PiperOptions(model_path=model, config_path=config, workers=1))
(result,) = engine.synthesize(["The quick brown fox jumps over the lazy dog."])
assert result.wav is not None, result.error
print(hashlib.sha256(result.wav).hexdigest())
"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalized_run_json(data: bytes) -> bytes:
    report = json.loads(data)
    for key in _VOLATILE_RUN_KEYS:
        report.pop(key, None)
    report["outputs"] = sorted(report.get("outputs", []))
    return (json.dumps(report, indent=2, sort_keys=True) + "\n").encode()


def mask_audio_numbers(data: bytes) -> bytes:
    text = data.decode("utf-8")
    for pattern in _AUDIO_NUMBERS:
        text = pattern.sub(r"\1#", text)
    return text.encode("utf-8")


@dataclass
class SampleDigest:
    """Digests of one sample run: exact, and with the audio's measured numbers masked."""

    probe: str
    files: dict[str, str] = field(default_factory=dict)
    masked: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {"week": WEEK, "probe": self.probe, "files": self.files, "masked": self.masked}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: Path = DIGEST_FILE) -> SampleDigest:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(probe=data["probe"], files=data["files"], masked=data["masked"])


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PAPERCAST_", "OPENAI_", "SMTP_"))
    }
    env["PAPERCAST_HOME"] = str(home)
    env["PAPERCAST_AUDIO__WORKERS"] = "1"  # one process: the seeded noise comes in one order
    return env


def probe() -> str:
    """The digest of one seeded Piper sentence on this machine."""
    with tempfile.TemporaryDirectory(prefix="papercast-probe-") as tmp:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(SEED)],
            cwd=tmp,
            env=_env(Path(tmp) / "home"),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the Piper probe failed:\n{done.stderr}")
    return done.stdout.strip()


def digest_outputs(out: Path, probe_digest: str) -> SampleDigest:
    result = SampleDigest(probe=probe_digest)
    for name in (*TEXT_FILES, *AUDIO_DEPENDENT, AUDIO):
        data = (out / name).read_bytes()
        if name.endswith("run.json"):
            data = normalized_run_json(data)
        result.files[name] = _sha(data)
        if name in AUDIO_DEPENDENT:
            result.masked[name] = _sha(mask_audio_numbers(data))
    return result


def run_sample(work: Path) -> Path:
    """Run ``papercast run --sample`` in ``work`` (seeded, one Piper worker); its papercast-out."""
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(SEED), "run", "--sample"],
        cwd=work,
        env=_env(work / "home"),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"papercast run --sample failed ({done.returncode}):\n{done.stderr}")
    return work / "papercast-out"


def sample_digest() -> SampleDigest:
    with tempfile.TemporaryDirectory(prefix="papercast-sample-") as tmp:
        return digest_outputs(run_sample(Path(tmp)), probe())


def compare(expected: SampleDigest, actual: SampleDigest) -> tuple[list[str], bool]:
    """Files whose digest differs, and whether the audio could be compared exactly."""
    exact_audio = expected.probe == actual.probe
    differ: list[str] = []
    for name, want in expected.files.items():
        if name in AUDIO_DEPENDENT and not exact_audio:
            if actual.masked.get(name) != expected.masked[name]:
                differ.append(name)
        elif name == AUDIO and not exact_audio:
            continue
        elif actual.files.get(name) != want:
            differ.append(name)
    return differ, exact_audio


def describe(differ: list[str], exact_audio: bool, files: Mapping[str, str]) -> str:
    lines = [f"{name}: differs" for name in differ]
    if not exact_audio:
        lines.append(
            "note: Piper's seeded probe differs on this machine, so the audio was not compared "
            "and its measured numbers were masked"
        )
    if not differ:
        lines.append(f"all {len(files)} outputs match")
    return "\n".join(lines)
