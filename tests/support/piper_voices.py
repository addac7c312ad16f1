"""A Piper voices repository on 127.0.0.1: voices served in the repository's real layout
(``<family>/<family>_<REGION>/<name>/<quality>/<voice>.onnx`` and its ``.onnx.json``)."""

from __future__ import annotations

import json
import socket

from papercast.audio.voices import builtin_voice, voice_url
from papercast.sample.server import FixtureServer, Reply


def repository_voice(code: str, espeak: str, dataset: str = "test") -> tuple[bytes, bytes]:
    """A voice of language ``code`` (``de_DE``) as the repository serves one: the built-in
    model with a config of that language (Piper phonemizes by the config's espeak voice, so it
    really speaks that language's phonemes). Returns (model, config) bytes."""
    model, config = builtin_voice()
    data = json.loads(config.read_text(encoding="utf-8"))
    family, region = code.split("_")
    data["language"] = {"code": code, "family": family, "region": region}
    data["espeak"] = {"voice": espeak}
    data["dataset"] = dataset
    return model.read_bytes(), json.dumps(data).encode()


def voice_path(name: str) -> str:
    """Where the repository keeps ``name`` (without the suffix), from its root."""
    return voice_url("", name, "")


def serve_voice(server: FixtureServer, name: str, voice: tuple[bytes, bytes]) -> str:
    """Serve ``voice`` (model, config) under ``name`` on ``server``; its path in the repository."""
    model, config = voice
    path = voice_path(name)
    server.route(path + ".onnx", Reply(body=model, content_type="application/octet-stream"))
    server.route(path + ".onnx.json", Reply(body=config, content_type="application/json"))
    return path


def offline_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 where nothing listens: the voices repository while offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
