"""bioRxiv/medRxiv source against documented-format JSON pages served from 127.0.0.1."""

from __future__ import annotations

import re
from datetime import date

import pytest

from papercast.config import load_settings
from papercast.errors import NotFoundError, SourceError
from papercast.models import DateWindow
from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from papercast.sources.base import SourceResult
from papercast.sources.biorxiv import BiorxivSource, fetch_by_doi, record_to_paper
from support.fixtures import page_json, record

WEEK = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13))
PATH = re.compile(r"^/details/(?P<server>\w+)/(?P<since>[\d-]+)/(?P<until>[\d-]+)/(?P<cursor>\d+)$")


def paging_handler(records: list[dict], page_size: int, log: list[int]):
    def handle(req: RecordedRequest) -> Reply:
        match = PATH.match(req.path)
        assert match, req.path
        cursor = int(match["cursor"])
        log.append(cursor)
        chunk = records[cursor : cursor + page_size]
        return Reply(
            body=page_json(chunk, cursor=cursor, total=len(records)),
            content_type="application/json",
        )

    return handle


class Router:
    """Serve every /details/... path from one handler (FixtureServer routes exact paths)."""

    def __init__(self, server: FixtureServer, handler) -> None:
        self.server = server
        self.handler = handler

    def install(self, paths: list[str]) -> None:
        for path in paths:
            self.server.route(path, self.handler)


def _settings(server: FixtureServer, **extra: object):
    return load_settings(
        overrides={
            "biorxiv": {
                "api_url": server.url(""),
                "delay_seconds": 0,
                "servers": ["biorxiv"],
                **extra,
            }
        }
    )


def _run(settings, server_name="biorxiv", window=WEEK):
    source = BiorxivSource(settings.biorxiv, server_name)
    result = SourceResult(name=server_name)
    try:
        return list(source.fetch(window, result)), result
    finally:
        source.close()


def test_pages_by_records_returned_not_by_100(fixture_server: FixtureServer) -> None:
    records = [record(i) for i in range(70)]
    cursors: list[int] = []
    handler = paging_handler(records, 30, cursors)  # the API's observed page size
    for cursor in (0, 30, 60):
        fixture_server.route(f"/details/biorxiv/2024-10-07/2024-10-13/{cursor}", handler)
    papers, result = _run(_settings(fixture_server))
    assert len(papers) == 70
    assert cursors == [0, 30, 60]
    assert result.requests == 3
    assert papers[0].id == "biorxiv:10.1101/2024.10.00.600000"


def test_record_fields_and_links() -> None:
    paper = record_to_paper(record(3, version=2), "biorxiv")
    assert paper.title == "Cortical circuit 3 in mice"
    assert paper.version == 2
    assert [a.name for a in paper.authors] == ["Smith, J.", "Doe, A. B.", "Roe, R."]
    assert paper.authors[1].affiliations == ["University of Somewhere"]
    assert paper.abs_url == "https://www.biorxiv.org/content/10.1101/2024.10.03.600003v2"
    assert paper.pdf_url == "https://www.biorxiv.org/content/10.1101/2024.10.03.600003v2.full.pdf"
    assert paper.published and paper.published.date() == date(2024, 10, 8)
    assert paper.aliases == ["doi:10.1101/2024.10.03.600003"]
    medrxiv = record_to_paper(record(4, server="medrxiv"), "medrxiv")
    assert medrxiv.id.startswith("medrxiv:") and "medrxiv.org" in (medrxiv.abs_url or "")


def test_dates_compared_as_dates_outside_window_dropped(fixture_server: FixtureServer) -> None:
    records = [
        record(1, day="2024-10-13"),
        record(2, day="2024-10-14"),
        record(3, day="2024-10-06"),
    ]
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/0",
        Reply(body=page_json(records, cursor=0, total=3), content_type="application/json"),
    )
    papers, _ = _run(_settings(fixture_server))
    assert [p.id[-6:] for p in papers] == ["600001"]


def test_category_is_sent_with_underscores(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/0",
        Reply(body=page_json([record(1)], cursor=0, total=1), content_type="application/json"),
    )
    _run(_settings(fixture_server, categories=["Cell Biology"]))
    assert fixture_server.requests[0].param("category") == "cell_biology"


def test_no_posts_found_explains_itself(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/0",
        Reply(
            body=page_json([], cursor=0, total=0, status="no posts found"),
            content_type="application/json",
        ),
    )
    papers, result = _run(_settings(fixture_server))
    assert papers == []
    assert result.empty_reason and "no posts found" in result.empty_reason


def test_window_before_the_server_existed(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/details/medrxiv/2010-01-04/2010-01-10/0",
        Reply(
            body=page_json([], cursor=0, total=0, status="no posts found"),
            content_type="application/json",
        ),
    )
    window = DateWindow(since=date(2010, 1, 4), until=date(2010, 1, 10))
    _, result = _run(_settings(fixture_server), "medrxiv", window)
    assert (
        result.empty_reason and "before medrxiv's data begins (2019-06-06)" in result.empty_reason
    )


def test_truncated_json_is_retried_then_succeeds(fixture_server: FixtureServer) -> None:
    body = page_json([record(1), record(2)], cursor=0, total=2)
    path = "/details/biorxiv/2024-10-07/2024-10-13/0"
    fixture_server.queue(
        path, Reply(body=body[:40], content_type="application/json"), Reply(drop=True)
    )
    fixture_server.route(path, Reply(body=body, content_type="application/json"))
    papers, result = _run(_settings(fixture_server))
    assert len(papers) == 2
    assert result.requests == 3


def test_empty_page_midway_is_retried_then_error(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/0",
        Reply(body=page_json([record(1)], cursor=0, total=5), content_type="application/json"),
    )
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/1",
        Reply(body=page_json([], cursor=1, total=5), content_type="application/json"),
    )
    with pytest.raises(SourceError, match="came back empty"):
        _run(_settings(fixture_server, num_retries=1))
    assert len(fixture_server.requests_to("/details/biorxiv/2024-10-07/2024-10-13/1")) == 2


def test_not_the_api_format(fixture_server: FixtureServer) -> None:
    fixture_server.route(
        "/details/biorxiv/2024-10-07/2024-10-13/0",
        Reply(body=b'{"hello": "world"}', content_type="application/json"),
    )
    with pytest.raises(SourceError, match="did not answer in the bioRxiv API format"):
        _run(_settings(fixture_server))


def test_fetch_by_doi_takes_latest_version_and_falls_back_to_medrxiv(
    fixture_server: FixtureServer,
) -> None:
    doi = "10.1101/2024.10.05.600005"
    fixture_server.route(
        f"/details/biorxiv/{doi}/na/json",
        Reply(
            body=page_json([], cursor=0, total=0, status="no posts found"),
            content_type="application/json",
        ),
    )
    fixture_server.route(
        f"/details/medrxiv/{doi}/na/json",
        Reply(
            body=page_json(
                [record(5, server="medrxiv"), record(5, version=2, server="medrxiv")],
                cursor=0,
                total=2,
            ),
            content_type="application/json",
        ),
    )
    paper = fetch_by_doi(_settings(fixture_server), doi)
    assert paper.id == f"medrxiv:{doi}" and paper.version == 2
    with pytest.raises(NotFoundError):
        fetch_by_doi(_settings(fixture_server), "10.1101/0000.00.00.000000")
