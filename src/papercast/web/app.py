"""The `papercast serve` application: Starlette routes over the library, rendered with Jinja.

An entry point like the CLI: each route parses the request, calls library functions
(``browse``, ``picking``, ``feedback``, ``jobs``, ``on_demand``) and renders a template from
``templates/web/``. Forms work without JavaScript (POST, then a redirect back); with it, htmx
swaps just the part that changed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from papercast import browse, on_demand
from papercast.config import Settings
from papercast.errors import InputError, LockedError, NotFoundError, PapercastError
from papercast.feedback import parse_verdict, record_feedback, verdict_name
from papercast.i18n import N_, Language, get_language
from papercast.jobs import JobRunner
from papercast.layout import Layout, published_file, safe_name
from papercast.picking import set_pick
from papercast.pipeline import STAGES, rerank_week
from papercast.render import SOURCE_LABELS, clock, issue_context, make_environment, marked
from papercast.store import Database
from papercast.store.candidates import CandidateFilters
from papercast.text import paper_url, safe_url
from papercast.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    FILES_CSP,
    Guard,
    SecurityMiddleware,
    is_local,
)

STATIC = Path(__file__).parent / "static"
MAX_FORM_BYTES = 64 * 1024
EXPIRED = N_("This form has expired or did not come from papercast: reload.")
# the words of a run report and a week's state (pipeline Status, STAGES, WeeklyState.stage)
RUN_WORDS = {
    "done": N_("done"),
    "partial": N_("partial"),
    "failed": N_("failed"),
    "empty": N_("empty"),
    "dry-run": N_("dry run"),
    "waiting-for-picks": N_("waiting for picks"),
    "selected": N_("ranked"),
    "fetch": N_("fetch"),
    "rank": N_("rank"),
    "pick": N_("pick"),
    "summarize": N_("summarize"),
    "assemble": N_("assemble"),
    "audio": N_("audio"),
    "render": N_("render"),
    "export": N_("export"),
}


@dataclass
class WebConfig:
    """What `papercast serve` was started with."""

    settings: Settings
    layout: Layout
    host: str = "127.0.0.1"
    banner: str | None = None  # e.g. "the sample week"
    fulltext_only: set[str] | None = None


class Web:
    """The app's shared state: settings, the store, the background runs, the templates."""

    def __init__(self, config: WebConfig, db: Database, jobs: JobRunner) -> None:
        self.config = config
        self.settings = config.settings
        self.layout = config.layout
        self.db = db
        self.jobs = jobs
        self.lang: Language = get_language(config.settings.issue.language)
        # the same environment (and gettext catalogue) as every other format
        self.env: Environment = make_environment(config.settings)
        self.env.filters.update(
            {
                "marked": marked,
                "clock": clock,
                "safe_url": safe_url,
                "paper_url": paper_url,
                "anchor": safe_name,
                "date": self.lang.date,
                "usd": self.lang.usd,
            }
        )
        self.env.globals.update(
            {
                "source_label": SOURCE_LABELS,
                "verdict_name": verdict_name,
                "run_word": self.run_word,
            }
        )

    def run_word(self, word: object) -> str:
        """A run report's status or stage name in the app's language (unknown ones as given)."""
        text = str(word)
        return self.lang.gettext(RUN_WORDS[text]) if text in RUN_WORDS else text

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        base = {
            "request": request,
            "lang": self.lang.tag,
            "dir": self.lang.direction,
            "csrf": request.state.csrf,
            "csrf_field": CSRF_FIELD,
            "show_name": self.settings.issue.show_name,
            "banner": self.config.banner,
            "here": _here(request),
            "current": browse.current_week(self.db),
            "running": self.jobs.running(),
        }
        html = self.env.get_template(f"web/{name}").render(**base, **context)
        return HTMLResponse(html, status_code=status)


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _back(value: object, default: str) -> str:
    """A same-site path to return to after a form (never another site's address)."""
    text = value if isinstance(value, str) else ""
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return default


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def checked_form(request: Request) -> FormData:
    """The form of a state-changing request, after its CSRF token is checked (403 if not)."""
    _ = _web(request).lang.gettext
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        raise HTTPException(413, _("The form is too large."))
    form = await request.form(max_files=0, max_fields=50, max_part_size=MAX_FORM_BYTES)
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    guard: Guard = request.state.guard
    if not guard.csrf_ok(request.state.session, given if isinstance(given, str) else None):
        raise HTTPException(403, _(EXPIRED))
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# --- the week ------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    web = _web(request)
    week = browse.current_week(web.db)
    if week is None:
        from papercast.pipeline import resolve_week

        return web.render(
            request,
            "empty.html.j2",
            week=resolve_week(None).label,
            lock_held=web.jobs.lock_held(),
        )
    return await anyio.to_thread.run_sync(_week, request, week)


async def week(request: Request) -> Response:
    label = browse.check_week(request.path_params["week"])
    return await anyio.to_thread.run_sync(_week, request, label)


def _filters(request: Request) -> CandidateFilters:
    params = request.query_params
    text = params.get("q", "").strip()
    return CandidateFilters(
        category=params.get("category") or None,
        source=params.get("source") or None,
        match=browse.fts_query(text) if text else None,
        picked=True if params.get("picked") == "1" else None,
    )


def _week(request: Request, label: str) -> Response:
    web = _web(request)
    params = request.query_params
    fragment = _htmx(request) and params.get("fragment") == "rows"
    page = browse.week_page(
        web.db,
        web.settings,
        label,
        _filters(request),
        page=browse.page_number(params.get("page")),
        with_facets=not fragment,
    )
    query = {k: v for k, v in params.items() if k in ("q", "category", "source", "picked") and v}
    context: dict[str, Any] = {
        "page": page,
        "query": query,
        "q": params.get("q", ""),
        "next_url": _url(request.url.path, {**query, "page": page.page + 1}),
        "prev_url": _url(request.url.path, {**query, "page": page.page - 1}),
        "lock_held": web.jobs.lock_held(),
    }
    if fragment:
        return web.render(request, "week_rows.html.j2", **context)
    return web.render(request, "week.html.j2", **context)


def _url(path: str, query: dict[str, object]) -> str:
    return path + ("?" + urlencode(query) if query else "")


async def pick(request: Request) -> Response:
    web = _web(request)
    label = browse.check_week(request.path_params["week"])
    form = await checked_form(request)
    paper_id = _text(form, "paper_id")
    picked = _text(form, "picked") == "1"

    def work() -> Response:
        set_pick(web.db, label, paper_id, picked)
        if not _htmx(request):
            return RedirectResponse(_back(form.get("back"), f"/weeks/{label}"), 303)
        row = browse.candidate(web.db, label, paper_id)
        return web.render(
            request,
            "pick_result.html.j2",
            row=row,
            page=browse.week_summary(web.db, web.settings, label),
            feedback=browse.feedback(web.db, [paper_id]),
            back=_back(form.get("back"), f"/weeks/{label}"),
        )

    return await anyio.to_thread.run_sync(work)


async def rerank(request: Request) -> Response:
    web = _web(request)
    label = browse.check_week(request.path_params["week"])
    await checked_form(request)
    await anyio.to_thread.run_sync(rerank_week, web.settings, web.layout, label)
    return RedirectResponse(f"/weeks/{label}", 303)


async def build(request: Request) -> Response:
    return await _start_job(request, "build")


async def prepare(request: Request) -> Response:
    return await _start_job(request, "prepare")


async def _start_job(request: Request, kind: str) -> Response:
    web = _web(request)
    label = browse.check_week(request.path_params["week"])
    await checked_form(request)
    try:
        job = web.jobs.start("build" if kind == "build" else "prepare", label)
    except LockedError as exc:
        running = web.jobs.running()
        if running is not None:
            return RedirectResponse(f"/jobs/{running.id}", 303)
        return _error_page(request, exc, 409, N_("A run is going on"))
    return RedirectResponse(f"/jobs/{job.id}", 303)


# --- background runs -------------------------------------------------------------------------


def _job(request: Request) -> Any:
    job = _web(request).jobs.get(request.path_params["job"])
    if job is None:
        raise NotFoundError(
            N_("no such run in this session of the app"), N_("start it from the week")
        )
    return job


async def job_page(request: Request) -> Response:
    job = _job(request)
    return _web(request).render(request, "job.html.j2", job=job, stages=STAGES)


def _event(name: str, data: dict[str, object], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def job_events(request: Request) -> Response:
    """Server-sent events: one ``progress`` per stage message, then ``end``."""
    job = _job(request)
    last = request.headers.get("last-event-id", "")
    start = int(last) + 1 if last.isdigit() else 0

    async def stream() -> AsyncIterator[str]:
        seen = start
        while True:
            while seen < len(job.events):
                event = job.events[seen]
                yield _event(
                    "progress",
                    {
                        "stage": event.stage,
                        "message": event.message,
                        "done": job.stages_done,
                        "total": job.stage_count,
                    },
                    event.n,
                )
                seen += 1
            if job.status != "running":
                yield _event("end", {"status": job.status})
                return
            changed = await anyio.to_thread.run_sync(job.wait, seen, 15.0, abandon_on_cancel=True)
            if not changed:
                yield ": still working\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


# --- feedback ---------------------------------------------------------------------------------


async def feedback(request: Request) -> Response:
    web = _web(request)
    form = await checked_form(request)
    paper_id = _text(form, "paper_id")
    verdict = parse_verdict(_text(form, "verdict"))
    back = _back(form.get("back"), f"/papers/{paper_id}")

    def work() -> Response:
        previous = record_feedback(web.db, paper_id, verdict)
        if not _htmx(request):
            return RedirectResponse(back, 303)
        return web.render(
            request,
            "feedback_result.html.j2",
            paper_id=paper_id,
            verdict=verdict,
            previous=previous,
            back=back,
        )

    return await anyio.to_thread.run_sync(work)


# --- search, papers, archive -----------------------------------------------------------------


async def search(request: Request) -> Response:
    web = _web(request)
    params = request.query_params
    text = params.get("q", "")

    def work() -> Response:
        result = browse.search(
            web.db,
            text,
            week=params.get("week") or None,
            source=params.get("source") or None,
            page=browse.page_number(params.get("page")),
            relevance=params.get("sort") == "relevance",
        )
        query = {k: v for k, v in params.items() if k in ("q", "week", "source", "sort") and v}
        return web.render(
            request,
            "search.html.j2",
            result=result,
            next_url=_url("/search", {**query, "page": result.page + 1}),
            prev_url=_url("/search", {**query, "page": result.page - 1}),
            relevance_url=_url("/search", {**query, "sort": "relevance"}),
        )

    return await anyio.to_thread.run_sync(work)


async def paper(request: Request) -> Response:
    web = _web(request)
    paper_id = request.path_params["paper_id"]
    page = await anyio.to_thread.run_sync(browse.paper_page, web.db, paper_id)
    return web.render(request, "paper.html.j2", page=page)


async def archive(request: Request) -> Response:
    web = _web(request)
    return web.render(
        request, "archive.html.j2", issues=browse.issues(web.db), weeks=browse.weeks(web.db)
    )


async def issue(request: Request) -> Response:
    web = _web(request)
    label = browse.check_week(request.path_params["week"])
    page = await anyio.to_thread.run_sync(browse.issue_page, web.db, web.layout, label)
    context = issue_context(page.issue, web.settings)
    return web.render(request, "issue.html.j2", page=page, ctx=context)


async def files(request: Request) -> Response:
    web = _web(request)
    path = published_file(web.layout, request.path_params["path"])
    if path is None:
        raise NotFoundError(N_("no such published file"), N_("see the issue's page for its files"))
    return FileResponse(
        path,
        headers={"content-security-policy": FILES_CSP, "cache-control": "no-cache"},
    )


async def keys(request: Request) -> Response:
    return _web(request).render(request, "keys.html.j2")


# --- one paper on demand ----------------------------------------------------------------------


async def summarize_form(request: Request) -> Response:
    return _web(request).render(request, "summarize.html.j2", reference="", error=None)


async def summarize(request: Request) -> Response:
    web = _web(request)
    _ = web.lang.gettext
    limit = web.settings.serve.max_upload_mb * 1024 * 1024
    too_large = _("The file is larger than %(size)s MB.") % {
        "size": web.lang.number(web.settings.serve.max_upload_mb)
    }
    if int(request.headers.get("content-length") or 0) > limit + MAX_FORM_BYTES:
        raise HTTPException(413, too_large)
    form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_FORM_BYTES)
    guard: Guard = request.state.guard
    given = form.get(CSRF_FIELD)
    if not guard.csrf_ok(request.state.session, given if isinstance(given, str) else None):
        raise HTTPException(403, _(EXPIRED))
    reference = _text(form, "reference").strip()
    upload = form.get("pdf")
    data = await _read_upload(upload, limit, too_large) if isinstance(upload, UploadFile) else b""
    confirmed = _text(form, "confirm") == "1"

    def work() -> Response:
        try:
            ref = reference
            if data:
                ref = on_demand.keep_upload(web.layout, data, max_bytes=limit)
            found = on_demand.resolve(web.settings, web.layout, ref)
            cost = on_demand.estimate(web.settings, web.layout, web.db, found)
            if on_demand.needs_confirmation(cost) and not confirmed:
                return web.render(
                    request, "summarize_confirm.html.j2", paper=found, cost=cost, reference=ref
                )
            result = on_demand.summarize(web.settings, web.layout, web.db, found)
        except PapercastError as exc:
            message, hint = exc.translated(web.lang.gettext)
            return web.render(
                request,
                "summarize.html.j2",
                400,
                reference=reference,
                error=exc,
                message=message,
                hint=hint,
            )
        return RedirectResponse(f"/papers/{result.item.paper.id}", 303)

    return await anyio.to_thread.run_sync(work)


async def _read_upload(upload: UploadFile, limit: int, too_large: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


# --- errors -----------------------------------------------------------------------------------

_STATUS = {NotFoundError: 404, InputError: 400, LockedError: 409}
_HTTP_DETAILS = {
    "Not Found": N_("There is no page at this address."),
    "Method Not Allowed": N_("This address does not take that kind of request."),
}
_TITLES = {404: N_("Not found"), 400: N_("Not possible"), 409: N_("A run is going on")}


def _error_page(request: Request, error: PapercastError, status: int, title: str) -> Response:
    """The error page in the app's language (the message too, when it is a catalogue string)."""
    web = _web(request)
    message, hint = error.translated(web.lang.gettext)
    return web.render(
        request,
        "error.html.j2",
        status,
        title=web.lang.gettext(title),
        message=message,
        hint=hint,
    )


async def papercast_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PapercastError)
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)
    return _error_page(request, exc, status, _TITLES.get(status, N_("Not possible")))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not hasattr(request.state, "csrf"):
        return Response(exc.detail, exc.status_code, media_type="text/plain")
    title = N_("Not found") if exc.status_code == 404 else N_("Not possible")
    detail = _HTTP_DETAILS.get(exc.detail, exc.detail)  # Starlette's own, in English
    return _error_page(request, PapercastError(detail), exc.status_code, title)


def create_app(config: WebConfig, *, token: str | None = None) -> Starlette:
    """The ASGI app. The store is opened here and closed when the app shuts down."""
    db = Database(config.layout.db_path)
    jobs = JobRunner(config.settings, config.layout)
    jobs.fulltext_only = config.fulltext_only
    web = Web(config, db, jobs)
    routes = [
        Route("/", home),
        Route("/weeks/{week}", week),
        Route("/weeks/{week}/picks", pick, methods=["POST"]),
        Route("/weeks/{week}/build", build, methods=["POST"]),
        Route("/weeks/{week}/rerank", rerank, methods=["POST"]),
        Route("/weeks/{week}/prepare", prepare, methods=["POST"]),
        Route("/jobs/{job}", job_page),
        Route("/jobs/{job}/events", job_events),
        Route("/feedback", feedback, methods=["POST"]),
        Route("/search", search),
        Route("/papers/{paper_id:path}", paper),
        Route("/issues", archive),
        Route("/issues/{week}", issue),
        Route("/files/{path:path}", files),
        Route("/summarize", summarize_form),
        Route("/summarize", summarize, methods=["POST"]),
        Route("/keys", keys),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(jobs.join, 30.0)
            db.close()

    app = Starlette(
        routes=routes,
        exception_handlers={PapercastError: papercast_error, HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.web = web
    guard = Guard(token, local=is_local(config.host))
    app.add_middleware(SecurityMiddleware, guard=guard)
    return app
