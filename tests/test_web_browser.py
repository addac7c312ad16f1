"""`papercast serve` in headless Chromium, over a real uvicorn on 127.0.0.1: picking by keyboard
only, building the issue, search, feedback, phone and desktop widths, labels and keyboard reach,
and no Content-Security-Policy violation anywhere. Screenshots land in test-artifacts/web/."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from papercast.store.history import HistoryStore
from papercast.web import WebConfig, create_app
from support.browser_cdp import Browser
from support.web_server import running
from support.web_world import PAST, SUMMARY_ONLY_WORD, WEEK, WebWorld, build_world

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
WIDTHS = (375, 1200)
KEYS = {
    "Enter": {"code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"},
    "Tab": {"code": "Tab", "windowsVirtualKeyCode": 9},
    "/": {"code": "Slash", "windowsVirtualKeyCode": 191, "text": "/"},
    "?": {"code": "Slash", "windowsVirtualKeyCode": 191, "text": "?", "modifiers": 8},
}
WATCH_CSP = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@dataclass
class Session:
    browser: Browser
    base: str
    world: WebWorld

    def goto(self, path: str, width: int = 1200) -> None:
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        self.browser.call("Page.navigate", url=self.base + path)
        self.browser._wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        return self.browser.evaluate(expression)

    def key(self, name: str) -> None:
        extra = KEYS.get(name, {"code": f"Key{name.upper()}", "text": name})
        self.browser.call("Input.dispatchKeyEvent", type="keyDown", key=name, **extra)
        self.browser.call("Input.dispatchKeyEvent", type="keyUp", key=name, **extra)

    def wait_for(self, expression: str, what: str, guard: float = 300) -> Any:
        """Until ``expression`` is truthy (pages reload on the way); ``guard`` only stops a hang."""
        deadline = time.monotonic() + guard
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except (RuntimeError, json.JSONDecodeError):
                value = None  # the page is navigating
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never happened: {what}")


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    world = build_world(tmp_path)
    app = create_app(WebConfig(settings=world.settings, layout=world.layout))
    with running(app) as base, Browser(tmp_path) as browser:
        browser.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_CSP)
        yield Session(browser, base, world)


def test_pick_three_by_keyboard_build_and_find_them_as_highlights(session: Session) -> None:
    session.goto("/")
    picked: list[str] = []
    for moves in (1, 2, 3):  # rows 1, 3 and 6
        for _ in range(moves):
            session.key("j")
        current = session.js("document.querySelector('li.cand.current').dataset.paperId")
        session.key("x")
        session.wait_for(
            f"document.querySelector('li.cand[data-paper-id=\"{current}\"] button.pick')"
            ".getAttribute('aria-pressed') === 'true'",
            f"{current} shown as picked",
            guard=60,
        )
        picked.append(current)
    ids = [p.id for p in session.world.papers]
    assert picked == [ids[0], ids[2], ids[5]]
    assert "3 picked" in session.js("document.getElementById('week-counts').textContent")
    session.key("o")  # the abstract of the current paper
    assert session.js("document.querySelector('li.cand.current details').open") is True
    session.js("document.querySelector('form[action$=\"/build\"] button').click()")
    session.wait_for("document.getElementById('job-result') !== null", "the build to finish")
    assert session.js("document.getElementById('job-log').children.length") >= 4
    session.js("document.getElementById('job-result').click()")
    session.wait_for("location.pathname === '/issues/" + WEEK + "'", "the issue page")
    session.wait_for("document.readyState === 'complete'", "the issue page loaded")
    highlights = session.js(
        "[...document.querySelectorAll('section.highlights article.paper')]"
        ".map(a => a.dataset.paperId)"
    )
    assert sorted(highlights) == sorted(picked)
    assert session.js("window.__csp") == []


def test_search_by_a_word_of_a_summary_from_the_keyboard(session: Session) -> None:
    session.goto("/")
    session.key("/")
    assert session.js("document.activeElement.id") == "site-search"
    session.browser.call("Input.insertText", text=SUMMARY_ONLY_WORD)
    session.key("Enter")
    session.wait_for("location.pathname === '/search'", "the search page")
    session.wait_for("document.readyState === 'complete'", "the search page loaded")
    hits = session.js("[...document.querySelectorAll('li.hit')].map(h => h.dataset.paperId)")
    assert hits == ["arxiv:2410.00003"]
    assert session.js("document.querySelector('li.hit mark').textContent") == SUMMARY_ONLY_WORD


def test_feedback_and_its_undo_in_one_click(session: Session) -> None:
    session.goto("/search?q=folding")
    target = session.js("document.querySelector('li.hit').dataset.paperId")
    session.js("document.querySelector('li.hit form.fb button.up').click()")
    session.wait_for(
        "document.querySelector('li.hit form.fb .undo') !== null", "the undo button", guard=60
    )
    with session.world.db() as db:
        rows = [(r.paper_id, r.picked) for r in HistoryStore(db).rows() if r.origin == "feedback"]
    assert rows == [(target, True)]
    session.js("document.querySelector('li.hit form.fb .undo').click()")
    session.wait_for(
        "document.querySelector('li.hit form.fb .noted').textContent.includes('taken back')",
        "the undo to land",
        guard=60,
    )
    with session.world.db() as db:
        assert [r for r in HistoryStore(db).rows() if r.origin == "feedback"] == []


def test_a_post_without_the_csrf_token_is_refused_in_the_browser(session: Session) -> None:
    session.goto("/")
    answer = session.browser.call(
        "Runtime.evaluate",
        expression="fetch('/feedback', {method: 'POST', body: new URLSearchParams("
        "{paper_id: 'arxiv:2410.00001', verdict: 'up'})}).then(r => r.status)",
        awaitPromise=True,
        returnByValue=True,
    )
    assert answer["result"]["value"] == 403
    with session.world.db() as db:
        assert HistoryStore(db).rows() == []


LABELS = """
(() => {
  const controls = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, audio[controls]')]
    .filter(el => el.checkVisibility());
  const name = el => (el.getAttribute('aria-label') || (el.labels && el.labels[0] &&
    el.labels[0].textContent) || el.textContent || el.title || '').trim();
  return {
    unlabelled: controls.filter(el => !name(el)).map(el => el.outerHTML.slice(0, 120)),
    unreachable: controls.filter(el => el.tabIndex < 0).map(el => el.outerHTML.slice(0, 120)),
    count: controls.length,
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    csp: window.__csp,
  };
})()
"""

PAGES = (
    "/",
    f"/weeks/{WEEK}?page=3",
    "/search?q=graph",
    f"/issues/{PAST}",
    "/papers/arxiv:2410.00002",
    "/summarize",
    "/issues",
    "/keys",
)


def test_pages_fit_phone_and_desktop_with_every_control_labelled(session: Session) -> None:
    for path in PAGES:
        for width in WIDTHS:
            session.goto(path, width)
            result = session.js(LABELS)
            where = f"{path} at {width}px"
            assert result["width"] == width, where
            assert result["scrollWidth"] <= width, f"{where}: horizontal scroll {result}"
            assert result["count"] >= 5, where
            assert result["unlabelled"] == [], where
            assert result["unreachable"] == [], where
            assert result["csp"] == [], where
            name = path.strip("/").replace("/", "-").replace("?", "-").replace(":", "-") or "week"
            session.browser.screenshot(ARTIFACTS / f"{name}-{width}.png")
    assert (ARTIFACTS / "week-375.png").stat().st_size > 1000


REACH = """
(() => {
  const controls = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, summary, audio[controls]')]
    .filter(el => el.checkVisibility());
  controls.forEach((el, i) => el.dataset.reach = i);
  document.activeElement && document.activeElement.blur();
  window.__reached = new Set();
  document.addEventListener('focusin', e => {
    const el = e.target.closest('[data-reach]');
    if (el) window.__reached.add(el.dataset.reach);
  });
  return controls.length;
})()
"""


def test_every_control_is_reachable_with_tab(session: Session) -> None:
    for path in ("/", f"/issues/{PAST}", "/search?q=graph"):
        session.goto(path)
        count = session.js(REACH)
        for _ in range(count + 5):
            session.key("Tab")
        missing = session.js(
            "[...document.querySelectorAll('[data-reach]')]"
            ".filter(el => !window.__reached.has(el.dataset.reach))"
            ".map(el => el.outerHTML.slice(0, 100))"
        )
        assert missing == [], path


def test_chapters_seek_the_player(session: Session) -> None:
    session.goto(f"/issues/{PAST}")
    session.js("document.querySelectorAll('a.chapter')[1].click()")
    position = session.js("document.getElementById('player').currentTime")
    assert position == pytest.approx(30.5, abs=0.01)
    assert session.js("location.pathname") == f"/issues/{PAST}"  # seeking, not leaving
