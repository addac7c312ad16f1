"""``papercast run --sample``: the recorded week in data/sample/, served from 127.0.0.1.

The recorded payloads go through the same HTTP clients and parsers as live data: a local
FixtureServer answers the requests the real clients make (per data/sample/manifest.json), and
the recorded PDFs are placed in the PDF cache, so the run needs no network and no keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papercast.config import Settings, derive
from papercast.errors import PapercastError
from papercast.ids import parse_arxiv_id
from papercast.layout import Layout, atomic_write_bytes
from papercast.models import Paper
from papercast.resources import sample_dir
from papercast.sample.manifest import mount_sample
from papercast.sample.manifest import sample_settings as recorded_settings
from papercast.sample.server import FixtureServer

SAMPLE_HOME = "sample"  # under PAPERCAST_HOME: the sample never mixes with your own store


@dataclass
class SampleWeek:
    week: str
    overrides: dict[str, Any]
    pdf_papers: list[tuple[Paper, Path]]


@contextmanager
def serve_sample(root: Path | None = None) -> Iterator[tuple[FixtureServer, SampleWeek]]:
    """Start the local server for the sample week; yields it and the settings to use."""
    root = root or sample_dir()
    if not (root / "manifest.json").is_file():
        raise PapercastError(
            f"the sample week is missing ({root})", "reinstall papercast; the wheel ships it"
        )
    with FixtureServer() as server:
        manifest = mount_sample(server, root)
        overrides = recorded_settings(server.url(""), manifest)
        for section in ("arxiv", "biorxiv"):
            overrides.setdefault(section, {})["delay_seconds"] = 0
        pdfs: list[tuple[Paper, Path]] = []
        for item in manifest.by_kind("pdf"):
            short, version = parse_arxiv_id(item.request.path.rsplit("/", 1)[-1])
            stub = Paper(id=f"arxiv:{short}", source="arxiv", version=version, title=short)
            pdfs.append((stub, root / item.file))
        yield server, SampleWeek(week=manifest.week, overrides=overrides, pdf_papers=pdfs)


def sample_settings(settings: Settings, week: SampleWeek) -> Settings:
    """The user's settings with the sources pointed at the sample server (and a sample home)."""
    changes: dict[str, Any] = {section: dict(values) for section, values in week.overrides.items()}
    changes["home"] = Layout.from_settings(settings).home / SAMPLE_HOME
    changes.setdefault("select", {})["skip_seen"] = True
    podcast = changes.setdefault("podcast", {})
    podcast["base_url"] = settings.podcast.base_url or "http://localhost:8000"
    changes.setdefault("issue", {})["highlights"] = min(settings.issue.highlights, 3)
    changes["notify"] = {"urls": []}  # a demo posts nowhere
    changes["zotero"] = {"library_id": None}  # and reads no library: it stays offline
    return derive(settings, changes, origin="the sample week")


def seed_pdfs(settings: Settings, layout: Layout, week: SampleWeek) -> set[str]:
    """Put the recorded PDFs where the full-text stage looks first; returns their paper ids."""
    from papercast.summarize.fulltext import FullTextFetcher

    fetcher = FullTextFetcher(settings, layout)
    try:
        for paper, file in week.pdf_papers:
            target = fetcher.cache_path(paper)
            if not target.is_file():
                atomic_write_bytes(target, file.read_bytes(), private=True)
    finally:
        fetcher.close()
    return {paper.id for paper, _ in week.pdf_papers}
