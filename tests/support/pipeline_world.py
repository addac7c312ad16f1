"""A fixture week for end-to-end runs: arXiv pages, PDFs and a fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from support.arxiv_pages import page, real_entries, with_id
from support.fake_openai import FakeOpenAI
from support.pdfs import make_pdf

ATOM_NS = "{http://www.w3.org/2005/Atom}"
SENTINEL_KEY = "sk-test-SENTINEL-0123456789abcdef"
ISSUE_FILES = (
    "issue.md",
    "issue.html",
    "email.html",
    "issue.txt",
    "substack.html",
    "episode.mp3",
    "chapters.json",
    "episode.vtt",
    "episode.txt",
)


def week_entries(n: int = 8, pdf_base: str = "http://arxiv.org/pdf/") -> list[etree._Element]:
    entries = []
    bases = real_entries()
    for i in range(n):
        entry = with_id(
            bases[i % len(bases)], f"2410.{5000 + i:05d}v1", f"2024-10-{8 + i % 5:02d}T10:00:00Z"
        )
        for link in entry.findall(f"{ATOM_NS}link"):
            if link.get("title") == "pdf":
                link.set("href", f"{pdf_base}2410.{5000 + i:05d}v1")
        entries.append(entry)
    return entries


@dataclass
class World:
    server: FixtureServer
    fake: FakeOpenAI
    entries: list[etree._Element]

    def serve_arxiv(self, entries: list[etree._Element] | None = None) -> None:
        chosen = self.entries if entries is None else entries

        def handler(req: RecordedRequest) -> Reply:
            start = int(req.param("start") or 0)
            size = int(req.param("max_results") or 100)
            return Reply(
                body=page(chosen[start : start + size], total=len(chosen), start=start),
                content_type="application/atom+xml",
            )

        self.server.route("/api/query", handler)

    def write_config(self, directory: Path, **sections: dict[str, object]) -> Path:
        config = {
            "arxiv": {
                "api_url": self.server.url("/api/query"),
                "delay_seconds": 0,
                "categories": ["cs.LG"],
            },
            "llm": {
                "base_url": self.fake.base_url,
                "model": "gpt-4o-mini",
                "max_retries": 1,
                "timeout": 5,
            },
            "issue": {"highlights": 2, "noteworthy": 4, "show_name": "Test Papers"},
            "audio": {"engine": "openai", "base_url": self.fake.base_url, "openai_model": "tts-1"},
            "podcast": {"base_url": "https://podcast.example.org/pc"},
            "publish": {"out_dir": "out"},
        }
        for name, values in sections.items():
            config[name] = {**config.get(name, {}), **values}
        lines = []
        for section, values in config.items():
            lines.append(f"[{section}]")
            for key, value in values.items():
                lines.append(f"{key} = {json.dumps(value)}")
        path = directory / "papercast.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def pdf_for(i: int) -> bytes:
    return make_pdf(
        [
            f"Paper {i}\nAbstract\nWe improve accuracy by {10 + i}.5% on the benchmark. " * 3,
            "1 Introduction\nLanguage models are evaluated on many benchmarks today. " * 4
            + "\n3 Method\nWe fine-tune a transformer with a new objective on 12 tasks. " * 4
            + "\n5 Conclusion\nThe objective helps across tasks and model sizes. " * 4,
        ],
        title=f"Paper {i}",
    )


def serve_pdfs(server: FixtureServer, n: int) -> None:
    for i in range(n):
        server.route(
            f"/pdf/2410.{5000 + i:05d}v1", Reply(body=pdf_for(i), content_type="application/pdf")
        )


def digest(folder: Path, names: tuple[str, ...] = ISSUE_FILES) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in names
        if (folder / name).is_file()
    }
