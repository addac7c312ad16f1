"""The recorded sample week (data/sample/): its manifest, checks, and serving it on 127.0.0.1.

``data/sample/manifest.json`` lists every payload file with the request it answers (the real
URL, its path and query parameters). ``mount_sample(server)`` routes each one on a
``FixtureServer`` so the real clients and parsers read them exactly as they would read the
live services; ``sample_settings(base_url)`` gives the settings overrides that point papercast
at that server (``[arxiv] api_url``, ``[biorxiv] api_url``, ``[feeds] urls`` ...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from papercast.resources import sample_dir
from papercast.sample.server import FixtureServer, RecordedRequest, Reply

MANIFEST = "manifest.json"
FileKind = Literal["arxiv_api_atom", "arxiv_rss", "biorxiv_details_json", "feed", "pdf"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SampleRequest(_Model):
    """The request a file answers, as the real client would send it."""

    method: Literal["GET"] = "GET"
    url: str = Field(description="the live URL, with the query string the client sends")
    path: str = Field(description="URL path to serve it at, e.g. /api/query")
    params: dict[str, str] = Field(default_factory=dict, description="the query parameters")
    match: dict[str, str] = Field(
        default_factory=dict,
        description="parameters that pick this file among files served at the same path",
    )


class SampleFile(_Model):
    file: str = Field(description="path relative to data/sample/")
    bytes: int
    sha256: str
    kind: FileKind
    source: Literal["arxiv", "biorxiv", "medrxiv", "feed"]
    description: str
    content_type: str
    status: int = 200
    request: SampleRequest
    items: int = Field(description="entries / records / items in the payload")
    paper_ids: list[str] = Field(default_factory=list, description="source-qualified ids")


class SampleWindow(_Model):
    since: date
    until: date


class SampleManifest(_Model):
    schema_version: Literal[1]
    week: str
    window: SampleWindow
    reference: str
    settings: dict[str, dict[str, Any]] = Field(
        description="settings overrides for the sample run; URLs given as paths on the server"
    )
    files: list[SampleFile]

    def by_kind(self, kind: FileKind) -> list[SampleFile]:
        return [f for f in self.files if f.kind == kind]


def load_manifest(folder: Path | None = None) -> SampleManifest:
    folder = folder or sample_dir()
    text = (folder / MANIFEST).read_text(encoding="utf-8")
    return SampleManifest.model_validate_json(text)


def check_sample(folder: Path | None = None) -> list[str]:
    """Problems with the sample folder: files missing, changed, or not in the manifest."""
    folder = folder or sample_dir()
    manifest = load_manifest(folder)
    problems: list[str] = []
    listed = {f.file for f in manifest.files}
    for entry in manifest.files:
        path = folder / entry.file
        if not path.is_file():
            problems.append(f"{entry.file}: listed in the manifest but missing")
            continue
        data = path.read_bytes()
        if len(data) != entry.bytes or hashlib.sha256(data).hexdigest() != entry.sha256:
            problems.append(f"{entry.file}: size or sha256 differs from the manifest")
    ignored = {MANIFEST, "README.md"}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in listed and rel not in ignored:
            problems.append(f"{rel}: present but not described in the manifest")
    return problems


def _reply(folder: Path, entry: SampleFile) -> Reply:
    body = (folder / entry.file).read_bytes()
    return Reply(status=entry.status, body=body, content_type=entry.content_type)


def _dispatch(folder: Path, entries: Sequence[SampleFile]) -> Reply | Any:
    """One reply for a path, or a handler choosing among files by their ``match`` params."""
    if len(entries) == 1 and not entries[0].request.match:
        return _reply(folder, entries[0])
    replies = [(e.request.match, _reply(folder, e)) for e in entries]

    def handler(request: RecordedRequest) -> Reply:
        for match, reply in replies:
            if all(request.param(k) == v for k, v in match.items()):
                return reply
        wanted = ", ".join(f"{m}" for m, _ in replies)
        return Reply(status=404, body=f"no sample file for {request.query} (have {wanted})")

    return handler


def mount_sample(server: FixtureServer, folder: Path | None = None) -> SampleManifest:
    """Serve every file of the sample at its request path on ``server``; returns the manifest."""
    folder = folder or sample_dir()
    manifest = load_manifest(folder)
    by_path: dict[str, list[SampleFile]] = {}
    for entry in manifest.files:
        by_path.setdefault(entry.request.path, []).append(entry)
    for path, entries in by_path.items():
        server.route(path, _dispatch(folder, entries))
    return manifest


def sample_settings(base_url: str, manifest: SampleManifest | None = None) -> dict[str, Any]:
    """The manifest's settings with every service URL pointed at ``base_url`` (the server)."""
    manifest = manifest or load_manifest()
    base = base_url.rstrip("/")
    settings = {section: dict(values) for section, values in manifest.settings.items()}
    api = manifest.by_kind("arxiv_api_atom")
    if api:
        settings.setdefault("arxiv", {})["api_url"] = base + api[0].request.path
    if manifest.by_kind("biorxiv_details_json"):
        settings.setdefault("biorxiv", {})["api_url"] = base
    feeds = settings.get("feeds", {})
    if "urls" in feeds:
        feeds["urls"] = [u if "://" in u else base + u for u in feeds["urls"]]
    return settings


def sample_pdf_urls(base_url: str, manifest: SampleManifest | None = None) -> dict[str, str]:
    """Live PDF URL (as the metadata gives it) -> the same PDF on the local server."""
    manifest = manifest or load_manifest()
    base = base_url.rstrip("/")
    return {f.request.url: base + f.request.path for f in manifest.by_kind("pdf")}
