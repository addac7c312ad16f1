"""``papercast run --sample``: the recorded week in data/sample/, served from 127.0.0.1.

The recorded payloads go through the same HTTP clients and parsers as live data: a local
FixtureServer answers the requests the real clients make (per data/sample/manifest.json), and
the recorded PDFs are placed in the PDF cache, so the run needs no network and no keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papercast.config import Settings, exact_settings
from papercast.errors import PapercastError
from papercast.ids import parse_arxiv_id
from papercast.layout import Layout
from papercast.models import Paper
from papercast.resources import sample_dir
from papercast.testing.http_server import FixtureServer, RecordedRequest, Reply

SAMPLE_HOME = ".papercast-sample"


@dataclass
class SampleWeek:
    week: str
    overrides: dict[str, Any]
    pdf_papers: list[tuple[Paper, Path]]


def load_manifest(root: Path | None = None) -> dict[str, Any]:
    root = root or sample_dir()
    path = root / "manifest.json"
    if not path.is_file():
        raise PapercastError(
            f"the sample week is missing ({path})", "reinstall papercast; the wheel ships it"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _handler(candidates: list[tuple[dict[str, str], Path, str]]):  # type: ignore[no-untyped-def]
    def handle(request: RecordedRequest) -> Reply:
        for match, file, content_type in candidates:
            if all(request.param(k) == v for k, v in match.items()):
                return Reply(body=file.read_bytes(), content_type=content_type)
        return Reply(status=404, body="not in the sample week")

    return handle


@contextmanager
def serve_sample(root: Path | None = None) -> Iterator[tuple[FixtureServer, SampleWeek]]:
    """Start the local server for the sample week; yields it and the settings to use."""
    root = root or sample_dir()
    manifest = load_manifest(root)
    routes: dict[str, list[tuple[dict[str, str], Path, str]]] = {}
    pdfs: list[tuple[Paper, Path]] = []
    for item in manifest["files"]:
        file = root / item["file"]
        request = item["request"]
        if item["kind"] == "pdf":
            short, version = parse_arxiv_id(request["path"].rsplit("/", 1)[-1])
            stub = Paper(id=f"arxiv:{short}", source="arxiv", version=version, title=short)
            pdfs.append((stub, file))
            continue
        routes.setdefault(request["path"], []).append(
            (dict(request.get("match") or {}), file, item["content_type"])
        )
    with FixtureServer() as server:
        for path, candidates in routes.items():
            server.route(path, _handler(candidates))
        yield (
            server,
            SampleWeek(
                week=manifest["week"], overrides=_overrides(manifest, server), pdf_papers=pdfs
            ),
        )


def _overrides(manifest: dict[str, Any], server: FixtureServer) -> dict[str, Any]:
    wanted: dict[str, Any] = {k: dict(v) for k, v in manifest.get("settings", {}).items()}
    arxiv = wanted.pop("arxiv", {})
    biorxiv = wanted.pop("biorxiv", {})
    feeds = wanted.pop("feeds", {})
    return {
        **wanted,  # e.g. [rank] interests for a sensible cold start
        "arxiv": {**arxiv, "api_url": server.url("/api/query"), "delay_seconds": 0},
        "biorxiv": {**biorxiv, "api_url": server.url(""), "delay_seconds": 0},
        "feeds": {**feeds, "urls": [server.url(u) for u in feeds.get("urls", [])]},
    }


def sample_settings(settings: Settings, week: SampleWeek) -> Settings:
    """The user's settings with the sources pointed at the sample server (and a sample home)."""
    data = settings.model_dump(exclude={"config_file"})
    for section, values in week.overrides.items():
        data[section] = {**data.get(section, {}), **values}
    data["home"] = settings.publish.out_dir / SAMPLE_HOME
    data["select"] = {**data["select"], "skip_seen": True}
    data["podcast"] = {
        **data["podcast"],
        "base_url": data["podcast"].get("base_url") or "http://localhost:8000",
    }
    data["issue"] = {**data["issue"], "highlights": min(data["issue"]["highlights"], 3)}
    for secret in ("api_key",):
        if settings.llm.api_key is not None:
            data["llm"][secret] = settings.llm.api_key.get_secret_value()
    if settings.email.password is not None:
        data["email"]["password"] = settings.email.password.get_secret_value()
    return exact_settings(data, settings.config_file)


def seed_pdfs(settings: Settings, layout: Layout, week: SampleWeek) -> set[str]:
    """Put the recorded PDFs where the full-text stage looks first; returns their paper ids."""
    from papercast.fulltext import FullTextFetcher

    fetcher = FullTextFetcher(settings, layout)
    try:
        for paper, file in week.pdf_papers:
            target = fetcher.cache_path(paper)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_file():
                target.write_bytes(file.read_bytes())
    finally:
        fetcher.close()
    return {paper.id for paper, _ in week.pdf_papers}
