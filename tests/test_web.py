"""`papercast serve` routes through Starlette's TestClient: what the pages show, what the
forms record, and what the app refuses (no CSRF token, other hosts, no token, paths out)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from papercast.pipeline import run_lock
from papercast.sample.server import FixtureServer, Reply
from papercast.store import Database
from papercast.store.history import HistoryStore
from papercast.store.picks import PickStore
from papercast.store.weekly import WeeklyStore
from papercast.web import WebConfig, create_app
from support.issue_builders import HOSTILE_TITLE
from support.pdfs import make_pdf, sample_paper_pages
from support.web_world import (
    PAST,
    SUMMARY_ONLY_WORD,
    WEEK,
    WebWorld,
    build_world,
    csrf_of,
    past_protein_papers,
)

LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def world(tmp_path: Path) -> WebWorld:
    return build_world(tmp_path)


@pytest.fixture
def client(world: WebWorld) -> Iterator[TestClient]:
    app = create_app(WebConfig(settings=world.settings, layout=world.layout))
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as c:
        yield c


def _rows(html: str) -> list[str]:
    return re.findall(r'<li class="cand[^"]*" id="[^"]+" data-paper-id="([^"]+)"', html)


def _pick(client: TestClient, paper_id: str, picked: bool = True, **headers: str) -> object:
    token = csrf_of(client.get(f"/weeks/{WEEK}").text)
    return client.post(
        f"/weeks/{WEEK}/picks",
        data={"csrf": token, "paper_id": paper_id, "picked": "1" if picked else "0"},
        headers=headers,
    )


# --- the week -------------------------------------------------------------------------------


def test_home_is_the_week_being_prepared_best_first_a_page_at_a_time(
    client: TestClient, world: WebWorld
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    ids = [p.id for p in world.papers]
    assert _rows(page.text) == ids[:10]  # page_size 10, best score first
    assert "24 candidates" in page.text and "0 picked" in page.text
    assert "3 highlights" in page.text  # [issue] highlights without picks
    second = client.get(f"/weeks/{WEEK}?page=2&fragment=rows", headers={"hx-request": "true"})
    assert _rows(second.text) == ids[10:20]
    assert "<html" not in second.text  # a fragment to append
    assert 'id="pager" class="pager" aria-label="Pages" hx-swap-oob="true"' in second.text
    assert _rows(client.get(f"/weeks/{WEEK}?page=3").text) == ids[20:]


def test_week_filters_by_keyword_category_and_source(client: TestClient, world: WebWorld) -> None:
    protein = [p.id for p in world.papers if "q-bio.BM" in p.categories]
    shown = _rows(client.get(f"/weeks/{WEEK}?category=q-bio.BM").text)
    assert shown == protein[:10]
    assert "12 shown by the filters" in client.get(f"/weeks/{WEEK}?category=q-bio.BM").text
    assert _rows(client.get(f"/weeks/{WEEK}?q=variant+7").text) == [world.papers[6].id]
    assert _rows(client.get(f"/weeks/{WEEK}?source=biorxiv").text) == []


def test_picks_are_the_records_papercast_pick_makes(client: TestClient, world: WebWorld) -> None:
    chosen = [world.papers[4].id, world.papers[1].id]
    for paper_id in chosen:
        answer = _pick(client, paper_id)
        assert answer.status_code == 303 and answer.headers["location"] == f"/weeks/{WEEK}"
    with world.db() as db:
        state = WeeklyStore(db).get(WEEK)
        labels = {r.paper_id: r.picked for r in PickStore(db).rows(WEEK)}
    assert state is not None
    assert [r.id for r in state.ranked[:2]] == [world.papers[1].id, world.papers[4].id]
    assert sum(labels.values()) == 2 and len(labels) == len(world.papers)
    page = client.get("/").text
    assert "2 picked" in page and "2 highlights" in page
    assert _rows(page)[:5] == [p.id for p in world.papers[:5]]  # picking moves nothing
    _pick(client, world.papers[4].id, picked=False)
    with world.db() as db:
        assert [r.paper_id for r in PickStore(db).rows(WEEK) if r.picked] == [world.papers[1].id]


def test_a_pick_with_htmx_returns_the_row_and_the_counts(
    client: TestClient, world: WebWorld
) -> None:
    answer = _pick(client, world.papers[0].id, **{"hx-request": "true"})
    assert answer.status_code == 200
    assert _rows(answer.text) == [world.papers[0].id]
    assert 'aria-pressed="true"' in answer.text
    assert 'id="week-counts" class="counts" role="status" hx-swap-oob="true"' in answer.text
    assert "1 picked" in answer.text


def test_paper_text_is_escaped_everywhere(client: TestClient, world: WebWorld) -> None:
    hostile = world.papers[1].id
    pages = [
        client.get("/").text,
        client.get(f"/papers/{hostile}").text,
        client.get("/search?q=attention").text,
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html
    assert not re.search(r"(href|src)=\"(javascript|data):", pages[1])


# --- security ---------------------------------------------------------------------------------


def test_every_state_changing_route_refuses_a_request_without_its_csrf_token(
    client: TestClient,
) -> None:
    app = client.app
    posts = [r for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or set())]  # type: ignore[attr-defined]
    assert len(posts) >= 5
    client.get("/")  # a session cookie, so only the token is missing
    for route in posts:
        path = route.path.replace("{week}", WEEK)
        answer = client.post(path, data={"paper_id": "arxiv:2410.00001", "verdict": "up"})
        assert answer.status_code == 403, path
        forged = client.post(path, data={"csrf": "0" * 64, "paper_id": "x", "verdict": "up"})
        assert forged.status_code == 403, path
    with Database(client.app.state.web.layout.db_path) as db:  # type: ignore[attr-defined]
        assert PickStore(db).rows() == [] and HistoryStore(db).rows() == []


def test_a_token_from_another_session_or_another_site_is_refused(
    client: TestClient, world: WebWorld
) -> None:
    token = csrf_of(client.get("/").text)
    client.cookies.clear()
    client.get("/keys")  # a new session
    answer = client.post(
        "/feedback", data={"csrf": token, "paper_id": world.papers[0].id, "verdict": "up"}
    )
    assert answer.status_code == 403
    fresh = csrf_of(client.get("/").text)
    cross = client.post(
        "/feedback",
        data={"csrf": fresh, "paper_id": world.papers[0].id, "verdict": "up"},
        headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert cross.status_code == 403


def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(
    client: TestClient,
) -> None:
    for path in ("/", f"/weeks/{WEEK}", "/search?q=graph", f"/issues/{PAST}", "/summarize"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        scripts = re.findall(r"<script([^>]*)>", answer.text)
        assert scripts and all('src="/static/' in s for s in scripts), path
        assert " on" not in re.sub(r"<[^>]*>", "", "") and not re.search(
            r"<[^>]+\son[a-z]+=", answer.text
        )


def test_only_local_host_names_are_answered_on_a_local_bind(client: TestClient) -> None:
    answer = client.get("/", headers={"host": "evil.example:8765"})
    assert answer.status_code == 421
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
    assert client.get("/", headers={"host": "[::1]:8765"}).status_code == 200


def test_with_a_token_every_request_needs_it(world: WebWorld) -> None:
    config = WebConfig(settings=world.settings, layout=world.layout, host="0.0.0.0")
    app = create_app(config, token="s3cret-token-value")
    with TestClient(app, base_url="http://papers.example:8765", follow_redirects=False) as c:
        assert c.get("/").status_code == 401
        assert c.get("/static/papercast.css").status_code == 401
        assert c.get("/?token=wrong").status_code == 401
        signed = c.get("/search?q=graph&token=s3cret-token-value")
        assert signed.status_code == 303
        assert signed.headers["location"] == "/search?q=graph"
        assert "s3cret-token-value" not in signed.headers["set-cookie"]
        assert c.get("/search?q=graph").status_code == 200  # the cookie now
        c.cookies.clear()
        bearer = c.get("/", headers={"authorization": "Bearer s3cret-token-value"})
        assert bearer.status_code == 200


def test_serve_refuses_a_non_local_address_without_a_token() -> None:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PAPERCAST_RAISE_ERRORS"}
    try:  # a server that starts anyway would never return: the timeout is the hang guard
        done = subprocess.run(
            [sys.executable, "-m", "papercast", "serve", "--host", "0.0.0.0", "--port", "0"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("papercast serve started on 0.0.0.0 without a token")
    assert done.returncode == 2
    assert "will not listen on 0.0.0.0 without a token" in done.stderr
    assert "PAPERCAST_SERVE__TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_published_files_only_from_inside_the_output_folder(
    client: TestClient, world: WebWorld
) -> None:
    good = client.get(f"/files/{PAST}/issue.html")
    assert good.status_code == 200 and "Graph week" in good.text
    assert good.headers["content-security-policy"].startswith("sandbox")
    outside = world.layout.out_dir.parent / "secret.txt"
    outside.write_text("secret")
    (world.layout.issue_dir(PAST) / "link.txt").symlink_to(outside)
    for path in (
        "../secret.txt",
        "%2e%2e/secret.txt",
        f"{PAST}/../../secret.txt",
        f"{PAST}/%2e%2e/%2e%2e/secret.txt",
        f"{PAST}/link.txt",
        f"{PAST}/email/issue.eml",
        f"{PAST}/.issue.html.1234.tmp",
        f"{PAST}",
        "..%2f..%2fhome/papercast.db",
        str(world.layout.db_path),
        f"/{world.layout.db_path}",
    ):
        answer = client.get(f"/files/{path}")
        assert answer.status_code == 404, path
        assert "secret" not in answer.text and "reader@example.org" not in answer.text


# --- feedback ---------------------------------------------------------------------------------


def test_feedback_is_history_and_undo_restores_the_previous_verdict(
    client: TestClient, world: WebWorld
) -> None:
    target = world.papers[0].id
    token = csrf_of(client.get("/").text)

    def send(verdict: str, htmx: bool = False) -> str:
        headers = {"hx-request": "true"} if htmx else {}
        answer = client.post(
            "/feedback",
            data={"csrf": token, "paper_id": target, "verdict": verdict, "back": "/search"},
            headers=headers,
        )
        assert answer.status_code == (200 if htmx else 303)
        return answer.text if htmx else answer.headers["location"]

    assert send("up") == "/search"
    with world.db() as db:
        rows = [r for r in HistoryStore(db).rows() if r.origin == "feedback"]
    assert [(r.paper_id, r.picked) for r in rows] == [(target, True)]
    widget = send("down", htmx=True)
    assert 'class="down" aria-pressed="true"' in widget
    assert re.search(r'name="verdict" value="up" class="undo"', widget)  # undo -> up again
    send("up")
    send("none")
    with world.db() as db:
        assert [r for r in HistoryStore(db).rows() if r.origin == "feedback"] == []
    bad = client.post(
        "/feedback", data={"csrf": token, "paper_id": "arxiv:0000.00000", "verdict": "up"}
    )
    assert bad.status_code == 404


def _week_order(world: WebWorld) -> list[str]:
    """This week's candidates as the next ranking orders them (the weekly run's own calls)."""
    from papercast.rank import load_profile, rank_papers

    with world.db() as db:
        profile = load_profile(db, world.settings, exclude_issue=WEEK)
        ranked = rank_papers(world.papers, profile, world.settings, db=db)
    return [r.paper.id for r in ranked]


def test_feedback_moves_the_next_ranking(client: TestClient, world: WebWorld) -> None:
    graph = {p.id for p in world.papers if "cs.LG" in p.categories}
    half = len(world.papers) // 2
    token = csrf_of(client.get("/").text)

    def verdicts(up: list[str], down: list[str]) -> None:
        for paper_id, verdict in [(u, "up") for u in up] + [(d, "down") for d in down]:
            answer = client.post(
                "/feedback", data={"csrf": token, "paper_id": paper_id, "verdict": verdict}
            )
            assert answer.status_code == 303

    past_graph = [f"arxiv:2410.{100 + n:05d}" for n in range(3)]
    past_protein = [p.id for p in past_protein_papers()]
    verdicts(up=past_graph, down=past_protein)
    first = _week_order(world)
    assert set(first[:half]) == graph  # every graph paper above every protein paper
    verdicts(up=past_protein, down=past_graph)  # the reader changes their mind
    second = _week_order(world)
    assert not set(second[:half]) & graph


# --- search -----------------------------------------------------------------------------------


def test_search_finds_a_paper_by_a_word_of_its_summary_and_marks_it(client: TestClient) -> None:
    page = client.get(f"/search?q={SUMMARY_ONLY_WORD}").text
    assert "1 paper matches" in page
    assert 'data-paper-id="arxiv:2410.00003"' in page
    assert f"<mark>{SUMMARY_ONLY_WORD}</mark>" in page


def test_search_escapes_then_marks_and_never_reads_input_as_fts_syntax(
    client: TestClient,
) -> None:
    page = client.get("/search?q=script").text
    assert "&lt;<mark>script</mark>&gt;" in page  # the hostile title, escaped, then marked
    for text in ('" OR NEAR(', "title:x AND", "*", "-", '"', "a AND OR NOT (", "\x00"):
        answer = client.get("/search", params={"q": text})
        assert answer.status_code == 200, text


def test_search_filters_by_week_and_source(client: TestClient) -> None:
    assert "3 papers match" in client.get("/search?q=graph&week=2024-W40").text
    assert "12 papers match" in client.get("/search?q=graph&week=2024-W41").text
    assert "0 papers match" in client.get("/search?q=graph&source=biorxiv").text
    assert client.get("/search?q=graph&week=nonsense").status_code == 400


# --- the archive ------------------------------------------------------------------------------


def test_issue_page_has_the_player_chapters_report_and_files(client: TestClient) -> None:
    page = client.get(f"/issues/{PAST}").text
    assert f'<audio id="player" controls preload="metadata" src="/files/{PAST}/episode.mp3"' in page
    assert 'data-start="30.500"' in page and f"/files/{PAST}/episode.mp3#t=30.500" in page
    assert "Graph study 100" in page and "0:30" in page
    for name in ("issue.html", "episode.mp3", "chapters.json", "run.json"):
        assert f'href="/files/{PAST}/{name}"' in page
    assert "issue.eml" not in page and ".tmp" not in page
    assert "Run report" in page
    assert client.get("/issues").status_code == 200
    assert client.get("/issues/2024-W39").status_code == 404


# --- building ---------------------------------------------------------------------------------


def test_build_runs_in_the_background_and_the_picks_are_the_highlights(
    client: TestClient, world: WebWorld
) -> None:
    chosen = [world.papers[i].id for i in (5, 0, 8)]
    for paper_id in chosen:
        _pick(client, paper_id)
    token = csrf_of(client.get("/").text)
    started = client.post(f"/weeks/{WEEK}/build", data={"csrf": token})
    assert started.status_code == 303
    job_url = started.headers["location"]
    events = client.get(job_url + "/events").text  # streams until the run ends
    assert "event: progress" in events and "summarizing 13 papers" in events
    assert events.rstrip().endswith('data: {"status": "finished"}')
    job_page = client.get(job_url).text
    assert (
        "Status: <strong>done</strong>" in job_page
        or "Status: <strong>partial</strong>" in job_page
    )
    assert f'href="/issues/{WEEK}"' in job_page
    issue_page = client.get(f"/issues/{WEEK}").text
    highlights = re.findall(
        r'<article class="paper" id="[^"]+" data-paper-id="([^"]+)"', issue_page
    )
    assert sorted(highlights) == sorted(chosen)
    assert (world.layout.issue_dir(WEEK) / "issue.html").is_file()


def test_a_held_run_lock_is_shown_and_building_waits(client: TestClient, world: WebWorld) -> None:
    with run_lock(world.layout):
        page = client.get("/").text
        assert "holds the lock" in page and "Build the issue</button>" not in page
        token = csrf_of(page)
        answer = client.post(f"/weeks/{WEEK}/build", data={"csrf": token})
        assert answer.status_code == 409
        assert "another papercast run is already working" in answer.text
    assert "Build the issue</button>" in client.get("/").text


# --- one paper --------------------------------------------------------------------------------


def test_one_pdf_upload_is_summarized_like_papercast_summarize(client: TestClient) -> None:
    token = csrf_of(client.get("/summarize").text)
    pages = sample_paper_pages(
        "Sparse Zebra Attention",
        abstract="We propose sparse zebra attention for long inputs; it cuts memory by 40%.",
    )
    pdf = make_pdf(pages, title="Sparse Zebra Attention")
    answer = client.post(
        "/summarize",
        data={"csrf": token, "reference": ""},
        files={"pdf": ("zebra.pdf", pdf, "application/pdf")},
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/papers/pdf:")
    page = client.get(location).text
    assert "Sparse Zebra Attention" in page and "Extractive" in page
    assert client.get("/search?q=zebra").text.count("data-paper-id=") == 1


def test_one_paper_by_arxiv_id_link_or_doi_is_summarized_like_papercast_summarize(
    tmp_path: Path, fixture_server: FixtureServer
) -> None:
    from support.arxiv_pages import page, real_entries, with_id
    from support.fixtures import page_json, record

    arxiv_id, doi = "2410.05258", "10.1101/2024.10.03.600003"
    entry = with_id(real_entries()[0], f"{arxiv_id}v1", "2024-10-07T10:00:00Z")

    def arxiv(req):  # type: ignore[no-untyped-def]
        found = [entry] if arxiv_id in req.param("id_list") else []
        return Reply(
            body=page(found, total=len(found), start=0), content_type="application/atom+xml"
        )

    fixture_server.route("/api/query", arxiv)
    fixture_server.route(
        f"/details/biorxiv/{doi}/na/json",
        Reply(body=page_json([record(3)], cursor=0, total=1), content_type="application/json"),
    )
    world = build_world(
        tmp_path,
        arxiv={"api_url": fixture_server.url("/api/query"), "delay_seconds": 0, "num_retries": 0},
        biorxiv={"api_url": fixture_server.url(""), "num_retries": 0},
    )
    app = create_app(WebConfig(settings=world.settings, layout=world.layout))
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as c:
        token = csrf_of(c.get("/summarize").text)
        for reference, paper_id in [
            (arxiv_id, f"arxiv:{arxiv_id}"),
            (f"https://arxiv.org/abs/{arxiv_id}v1", f"arxiv:{arxiv_id}"),
            (f"doi:{doi}", f"biorxiv:{doi}"),
        ]:
            answer = c.post("/summarize", data={"csrf": token, "reference": reference})
            assert answer.status_code == 303, answer.text
            assert answer.headers["location"] == f"/papers/{paper_id}"
            shown = c.get(answer.headers["location"]).text
            assert "Extractive" in shown and "TL;DR" in shown
        missing = c.post("/summarize", data={"csrf": token, "reference": "2410.99999"})
        assert missing.status_code == 400 and "2410.99999" in missing.text
    with world.db() as db:
        summarized = {r["paper_id"] for r in db.query("SELECT paper_id FROM summaries")}
    assert {f"arxiv:{arxiv_id}", f"biorxiv:{doi}"} <= summarized


def test_one_paper_refuses_files_that_are_not_pdfs_and_paths(client: TestClient) -> None:
    token = csrf_of(client.get("/summarize").text)
    not_pdf = client.post(
        "/summarize",
        data={"csrf": token, "reference": ""},
        files={"pdf": ("x.pdf", b"<html>not a pdf</html>", "application/pdf")},
    )
    assert not_pdf.status_code == 400 and "not a PDF" in not_pdf.text
    scan = client.post(
        "/summarize",
        data={"csrf": token},
        files={"pdf": ("scan.pdf", make_pdf([""]), "application/pdf")},
    )
    assert scan.status_code == 400 and "the uploaded PDF: the PDF has no text layer" in scan.text
    assert str(client.app.state.web.layout.home) not in scan.text  # type: ignore[attr-defined]
    Path("local.pdf").write_bytes(make_pdf(["A local file"]))
    for reference in ("local.pdf", os.path.abspath("local.pdf"), "upload:" + "0" * 64):
        answer = client.post("/summarize", data={"csrf": token, "reference": reference})
        assert answer.status_code in (400, 404), reference
        assert "A local file" not in answer.text


def test_an_upload_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    world = build_world(tmp_path, serve={"max_upload_mb": 1})
    app = create_app(WebConfig(settings=world.settings, layout=world.layout))
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as c:
        token = csrf_of(c.get("/summarize").text)
        big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
        answer = c.post(
            "/summarize",
            data={"csrf": token},
            files={"pdf": ("big.pdf", big, "application/pdf")},
        )
        assert answer.status_code == 413
    assert not (world.layout.cache_dir / "uploads").exists()


def test_unknown_pages_and_weeks_are_clear_errors(client: TestClient) -> None:
    assert client.get("/weeks/2024-W99").status_code == 400
    missing = client.get("/weeks/2023-W01")
    assert missing.status_code == 404 and "has not been ranked yet" in missing.text
    assert client.get("/papers/arxiv:9999.99999").status_code == 404
    assert client.get("/jobs/nope").status_code == 404
    assert client.get(f"/weeks/{WEEK}?page=0").status_code == 400
    assert HOSTILE_TITLE  # (imported for the escaping test above)


def test_an_empty_store_offers_to_prepare_the_week_and_says_why_nothing_came(
    tmp_path: Path,
) -> None:
    world = build_world(tmp_path, arxiv={"enabled": False})
    world.layout.db_path.unlink()  # an empty store (no week ranked yet)
    app = create_app(WebConfig(settings=world.settings, layout=world.layout))
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as c:
        page = c.get("/")
        assert "No week has been ranked yet" in page.text
        week = re.search(r'action="/weeks/([0-9]{4}-W[0-9]{2})/prepare"', page.text)
        assert week is not None
        started = c.post(f"/weeks/{week.group(1)}/prepare", data={"csrf": csrf_of(page.text)})
        assert started.status_code == 303
        c.get(started.headers["location"] + "/events")  # until it ends
        done = c.get(started.headers["location"]).text
        assert "no sources are configured" in done


def test_a_paid_model_shows_the_cost_and_calls_nothing_before_the_reader_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.fake_openai import FakeOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-serve-0123456789")
    with FakeOpenAI() as fake:
        world = build_world(
            tmp_path,
            llm={
                "backend": "openai",
                "base_url": fake.base_url,
                "model": "gpt-4o-mini",
                "max_retries": 0,
            },
        )
        app = create_app(WebConfig(settings=world.settings, layout=world.layout))
        pdf = make_pdf(sample_paper_pages("Costly Capybaras", "We count capybaras at 12 sites."))
        with TestClient(app, base_url=LOCAL, follow_redirects=False) as c:
            token = csrf_of(c.get("/summarize").text)
            asked = c.post(
                "/summarize",
                data={"csrf": token},
                files={"pdf": ("c.pdf", pdf, "application/pdf")},
            )
            assert asked.status_code == 200
            assert "expected cost <strong>$0.0" in asked.text and "gpt-4o-mini" in asked.text
            assert fake.calls == []  # nothing paid for yet
            reference = re.search(r'name="reference" value="(upload:[0-9a-f]{64})"', asked.text)
            assert reference is not None
            done = c.post(
                "/summarize",
                data={"csrf": token, "reference": reference.group(1), "confirm": "1"},
            )
            assert done.status_code == 303, done.text
            assert len(fake.calls) == 1
            page = c.get(done.headers["location"]).text
            assert "Costly Capybaras" in page and "By gpt-4o-mini" in page
            again = c.post(  # the same paper again: from the cache, no question, no call
                "/summarize",
                data={"csrf": token},
                files={"pdf": ("c.pdf", pdf, "application/pdf")},
            )
            assert again.status_code == 303 and len(fake.calls) == 1


def test_rerank_puts_what_the_feedback_likes_first_and_keeps_the_picks(
    client: TestClient, world: WebWorld
) -> None:
    protein = {p.id for p in world.papers if "q-bio.BM" in p.categories}
    _pick(client, world.papers[0].id)  # a graph paper, picked
    token = csrf_of(client.get("/").text)
    for paper_id in [p.id for p in past_protein_papers()]:
        client.post("/feedback", data={"csrf": token, "paper_id": paper_id, "verdict": "up"})
    for paper_id in [f"arxiv:2410.{100 + n:05d}" for n in range(3)]:
        client.post("/feedback", data={"csrf": token, "paper_id": paper_id, "verdict": "down"})
    assert client.post(f"/weeks/{WEEK}/rerank", data={"csrf": token}).status_code == 303
    shown = _rows(client.get(f"/weeks/{WEEK}").text)
    assert len(shown) == 10 and set(shown) <= protein  # the first page: all protein now
    with world.db() as db:
        state = WeeklyStore(db).get(WEEK)
    assert state is not None and state.ranked[0].id == world.papers[0].id and state.ranked[0].picked
    assert "1 picked" in client.get("/").text


@pytest.mark.parametrize("sample", [False, True])
def test_papercast_serve_listens_answers_and_stops_on_sigterm(sample: bool) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "papercast", "serve", "--port", str(port)]
        + (["--sample"] if sample else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = None
        for _ in range(600):  # a hang guard: the server answers once it listens
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[0]
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        assert "No week has been ranked yet" in answer.text
        assert ("The sample store (2024-W41" in answer.text) == sample
        hint = "papercast run --sample</code> first" if sample else "papercast serve --sample"
        assert hint in answer.text
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    # uvicorn shuts down gracefully, then hands SIGTERM back to papercast's own handler:
    # the exit code every papercast command gives for SIGTERM, and one line saying so
    assert proc.returncode == 143, output
    assert "Stopped by SIGTERM" in output
    assert "Traceback" not in output
    assert f"http://127.0.0.1:{port}/" in output
