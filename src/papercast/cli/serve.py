"""`papercast serve`: the local web app over the same store and library as the CLI."""

from __future__ import annotations

import webbrowser
from contextlib import ExitStack
from typing import Annotated

import typer

from papercast.cli.app import app
from papercast.cli.console import err
from papercast.cli.state import get_state


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: \\[serve] host, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Port (default: \\[serve] port, 8765)."),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the app in the default browser.")
    ] = False,
    sample: Annotated[
        bool,
        typer.Option("--sample", help="Serve the sample store that `papercast run --sample` made."),
    ] = False,
) -> None:
    """Browse the week, pick by keyboard, search everything, give feedback and listen.

    Binds 127.0.0.1 unless told otherwise; any other address needs a token
    (PAPERCAST_SERVE__TOKEN). Stop it with Ctrl+C.

    Example: papercast serve --open
    """
    import uvicorn

    from papercast.web import WebConfig, check_bind, create_app

    state = get_state(ctx)
    settings = state.settings()
    host = host or settings.serve.host
    port = settings.serve.port if port is None else port
    token = settings.serve.token.get_secret_value() if settings.serve.token else None
    check_bind(host, token)
    with ExitStack() as stack:
        banner = None
        fulltext_only: set[str] | None = None
        if sample:
            from papercast.layout import Layout
            from papercast.sample import sample_settings, seed_pdfs, serve_sample

            _server, week = stack.enter_context(serve_sample())
            settings = sample_settings(settings, week)
            layout = Layout.from_settings(settings)
            layout.ensure()
            fulltext_only = seed_pdfs(settings, layout, week)
            from papercast.i18n import N_, get_language

            banner = get_language(settings.issue.language).gettext(
                N_("The sample store (%(week)s, recorded data served from this machine).")
            ) % {"week": week.week}
        else:
            layout = state.layout()
        config = WebConfig(
            settings=settings,
            layout=layout,
            host=host,
            banner=banner,
            fulltext_only=fulltext_only,
        )
        web_app = create_app(config, token=token)
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/"
        server = uvicorn.Server(
            uvicorn.Config(web_app, host=host, port=port, log_level="warning", access_log=False)
        )
        err.print(f"papercast serve: {url} (Ctrl+C to stop)")
        if token:
            err.print("Open it once with ?token=<your [serve] token>.")
        if open_browser:
            webbrowser.open(url)
        server.run()
