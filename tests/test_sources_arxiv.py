"""arXiv source: real client code against recorded pages served from 127.0.0.1."""

from __future__ import annotations

import time
from datetime import date

import pytest

from papercast.config import load_settings
from papercast.errors import InputError, NotFoundError, SourceError
from papercast.models import DateWindow
from papercast.sample.server import FixtureServer, RecordedRequest, Reply
from papercast.sources.arxiv import ArxivSource, build_query, fetch_by_ids
from papercast.sources.base import SourceResult
from support.arxiv_pages import ERROR_FEED, page, real_entries, with_id

WIDE = DateWindow(since=date(2000, 1, 1), until=date(2026, 1, 1))
ATOM = "application/atom+xml; charset=utf-8"


def _settings(server: FixtureServer, **arxiv: object):
    return load_settings(
        overrides={"arxiv": {"api_url": server.url("/api/query"), "delay_seconds": 0, **arxiv}}
    )


def _fetch(settings, window=WIDE):
    source = ArxivSource(settings.arxiv)
    result = SourceResult(name="arxiv")
    try:
        papers = list(source.fetch(window, result))
    finally:
        source.close()
    return papers, result


def test_real_response_becomes_papers(fixture_server: FixtureServer) -> None:
    entries = real_entries()
    fixture_server.route(
        "/api/query", Reply(body=page(entries, total=10, start=0), content_type=ATOM)
    )
    papers, result = _fetch(_settings(fixture_server))
    assert len(papers) == 10
    first = papers[0]
    assert first.id == "arxiv:2202.12139"
    assert first.version == 1
    assert first.title.startswith("Testing Deep Learning Models")
    assert first.pdf_url == "https://arxiv.org/pdf/2202.12139v1"
    assert first.abs_url == "https://arxiv.org/abs/2202.12139"
    assert "cs.SE" in first.categories
    assert first.comment and "\n" not in first.comment
    assert "doi:10.48550/arxiv.2202.12139" in first.aliases
    with_doi = [p for p in papers if p.doi]
    assert with_doi and all(f"doi:{p.doi.lower()}" in p.aliases for p in with_doi)
    versions = {p.id: p.version for p in papers}
    assert versions["arxiv:2204.08348"] == 3
    assert result.requests == 1


def test_query_has_categories_window_and_big_pages(fixture_server: FixtureServer) -> None:
    fixture_server.route("/api/query", Reply(body=page([], total=0, start=0), content_type=ATOM))
    settings = _settings(
        fixture_server, categories=["cs.LG", "stat.ML"], page_size=2000, lookback_days=0
    )
    window = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13))
    papers, result = _fetch(settings, window)
    assert papers == []
    request = fixture_server.requests[0]
    assert request.param("search_query") == (
        "(cat:cs.LG OR cat:stat.ML) AND submittedDate:[202410070000 TO 202410132359]"
    )
    assert request.param("max_results") == "2000"
    assert request.param("sortBy") == "submittedDate"
    assert result.empty_reason and "cs.LG, stat.ML" in result.empty_reason


def test_pages_until_total_with_few_requests(fixture_server: FixtureServer) -> None:
    base = real_entries()[0]
    entries = [with_id(base, f"2410.{10000 + i}v1") for i in range(25)]

    def handler(req: RecordedRequest) -> Reply:
        start, size = int(req.param("start")), int(req.param("max_results"))
        return Reply(
            body=page(entries[start : start + size], total=25, start=start), content_type=ATOM
        )

    fixture_server.route("/api/query", handler)
    papers, result = _fetch(_settings(fixture_server, page_size=10))
    assert [p.id for p in papers] == [f"arxiv:2410.{10000 + i}" for i in range(25)]
    assert [r.param("start") for r in fixture_server.requests] == ["0", "10", "20"]
    assert result.requests == 3


def test_empty_page_midway_is_retried_not_the_end(fixture_server: FixtureServer) -> None:
    base = real_entries()[0]
    entries = [with_id(base, f"2410.{20000 + i}v1") for i in range(4)]
    fixture_server.queue(
        "/api/query",
        Reply(body=page(entries[:2], total=4, start=0), content_type=ATOM),
        Reply(body=page([], total=4, start=2), content_type=ATOM),  # arXiv's flaky empty page
    )
    fixture_server.route(
        "/api/query", Reply(body=page(entries[2:], total=4, start=2), content_type=ATOM)
    )
    papers, _ = _fetch(_settings(fixture_server, page_size=2))
    assert len(papers) == 4
    assert [r.param("start") for r in fixture_server.requests] == ["0", "2", "2"]


def test_429_storm_then_success_honours_retry_after(fixture_server: FixtureServer) -> None:
    fixture_server.queue(
        "/api/query",
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(status=503),
        Reply(status=429, headers={"Retry-After": "0"}),
    )
    fixture_server.route(
        "/api/query", Reply(body=page(real_entries()[:3], total=3, start=0), content_type=ATOM)
    )
    papers, result = _fetch(_settings(fixture_server, num_retries=4))
    assert len(papers) == 3
    assert result.requests == 4


def test_endless_429_gives_a_clear_error_with_status(fixture_server: FixtureServer) -> None:
    fixture_server.route("/api/query", Reply(status=429, headers={"Retry-After": "0"}))
    with pytest.raises(SourceError) as info:
        _fetch(_settings(fixture_server, num_retries=2))
    assert info.value.status == 429
    assert "failed after 3 tries" in str(info.value)
    assert "rate-limiting" in str(info.value)
    assert len(fixture_server.requests) == 3


def test_truncated_xml_is_retried_then_reported(fixture_server: FixtureServer) -> None:
    body = page(real_entries(), total=10, start=0)
    fixture_server.route("/api/query", Reply(body=body[: len(body) // 2], content_type=ATOM))
    with pytest.raises(SourceError) as info:
        _fetch(_settings(fixture_server, num_retries=1))
    assert "malformed or truncated XML" in str(info.value)
    assert len(fixture_server.requests_to("/api/query")) == 2  # the first try and one retry


def test_truncated_xml_then_a_whole_page_succeeds(fixture_server: FixtureServer) -> None:
    body = page(real_entries(), total=10, start=0)
    fixture_server.queue("/api/query", Reply(body=body[: len(body) // 2], content_type=ATOM))
    fixture_server.route("/api/query", Reply(body=body, content_type=ATOM))
    papers, result = _fetch(_settings(fixture_server, num_retries=1))
    assert len(papers) == 10
    assert result.requests == 2


def test_non_utf8_bytes_are_an_error_not_a_crash(fixture_server: FixtureServer) -> None:
    body = page(real_entries()[:1], total=1, start=0).replace(
        b"Testing Deep", b"Testing \xff\xfe Deep"
    )
    fixture_server.route("/api/query", Reply(body=body, content_type=ATOM))
    with pytest.raises(SourceError):
        _fetch(_settings(fixture_server, num_retries=0))


def test_arxiv_error_feed_message_is_shown(fixture_server: FixtureServer) -> None:
    fixture_server.route("/api/query", Reply(status=400, body=ERROR_FEED, content_type=ATOM))
    settings = _settings(fixture_server)
    with pytest.raises(SourceError) as info:
        _fetch(settings)
    assert "incorrect id format for 1234.12345" in str(info.value)
    assert info.value.status == 400
    assert len(fixture_server.requests) == 1  # a 400 is not retried


def test_unknown_category_suggests_the_right_one() -> None:
    settings = load_settings(overrides={"arxiv": {"categories": ["cs.LGG"]}})
    with pytest.raises(
        InputError, match=r"unknown arXiv category 'cs.LGG' \(did you mean cs.LG\?\)"
    ):
        build_query(settings.arxiv, WIDE)


def test_include_keywords_and_authors_go_into_queries() -> None:
    settings = load_settings(
        overrides={
            "arxiv": {
                "categories": ["cs.CL"],
                "include": ["language model"],
                "include_in_query": True,
                "authors": ["Ada Lovelace"],
            }
        }
    )
    queries = dict(build_query(settings.arxiv, WIDE))
    assert 'ti:"language model" OR abs:"language model"' in queries["categories"]
    assert queries["authors"].startswith('(au:"Ada Lovelace") AND submittedDate:')


def test_fetch_by_ids_and_not_found(fixture_server: FixtureServer) -> None:
    entries = real_entries()
    fixture_server.route(
        "/api/query", Reply(body=page(entries[:1], total=1, start=0), content_type=ATOM)
    )
    settings = _settings(fixture_server)
    [paper] = fetch_by_ids(settings, ["https://arxiv.org/abs/2202.12139v1"])
    assert paper.id == "arxiv:2202.12139"
    assert fixture_server.requests[0].param("id_list") == "2202.12139v1"
    with pytest.raises(NotFoundError, match=r"2401\.00001"):
        fetch_by_ids(settings, ["2202.12139", "2401.00001"])


def test_malformed_id_is_rejected_before_any_request(fixture_server: FixtureServer) -> None:
    with pytest.raises(InputError, match="not an arXiv identifier"):
        fetch_by_ids(_settings(fixture_server), ["24101.0525"])
    assert fixture_server.requests == []


def test_delay_spaces_requests(fixture_server: FixtureServer) -> None:
    base = real_entries()[0]
    entries = [with_id(base, f"2410.{30000 + i}v1") for i in range(4)]

    def handler(req: RecordedRequest) -> Reply:
        start = int(req.param("start"))
        return Reply(body=page(entries[start : start + 2], total=4, start=start), content_type=ATOM)

    fixture_server.route("/api/query", handler)
    started = time.monotonic()  # the server stamps arrivals with the same clock
    _fetch(_settings(fixture_server, page_size=2, delay_seconds=1.0))
    _, second = fixture_server.requests
    # The client waits 1 s after it *sent* the first request. When the server got to that
    # request is not bounded (a busy machine may hand it over late), so the gap between the two
    # arrivals can look shorter than the delay: it is no measure. What always holds is that the
    # second arrival comes at least 1 s after the fetch began; without the spacing it comes
    # as soon as two requests can be served (well under a second, even on a loaded machine).
    assert second.at - started >= 1.0


def test_unreachable_server_says_to_check_the_network() -> None:
    settings = load_settings(
        overrides={
            "arxiv": {
                "api_url": "http://127.0.0.1:9/api/query",
                "delay_seconds": 0,
                "num_retries": 0,
            }
        }
    )
    with pytest.raises(SourceError) as info:
        _fetch(settings)
    assert info.value.status is None
    assert "check the network connection" in str(info.value)


def test_lookback_asks_for_last_weeks_late_submissions() -> None:
    """The API lists a paper only once announced: Friday's submissions appear next Monday."""
    week = DateWindow(since=date(2024, 10, 7), until=date(2024, 10, 13))
    default = dict(build_query(load_settings().arxiv, week))["categories"]
    assert "submittedDate:[202410040000 TO 202410132359]" in default  # 3 days back by default
    none = load_settings(overrides={"arxiv": {"lookback_days": 0}}).arxiv
    assert "submittedDate:[202410070000 TO" in dict(build_query(none, week))["categories"]
