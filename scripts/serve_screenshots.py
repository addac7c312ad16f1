"""Screenshots of `papercast serve` for docs/serve.md, taken from the real app on the sample week.

    python scripts/serve_screenshots.py [--out docs/serve] [--home DIR]

Runs `papercast run --sample` into a fresh home (unless --home already holds the sample
store), starts the app over it on 127.0.0.1 with uvicorn, and drives headless Chromium (the
browser tests' DevTools driver): the week at desktop and phone widths with a paper picked by
keyboard and its abstract open, search, a paper, the issue with its episode and chapters.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.browser_cdp import Browser  # noqa: E402

SHOTS = (
    # name, path, width, height, keys to press first
    ("week", "/", 1200, 820, "jjxo"),
    ("week-phone", "/", 375, 760, "jjx"),
    ("search", "/search?q=attention", 1200, 820, ""),
    ("paper", "/papers/arxiv:2410.05258", 1200, 820, ""),
    ("issue", "/issues/2024-W41", 1200, 820, ""),
    ("issue-phone", "/issues/2024-W41", 375, 760, ""),
)


PICKED = "!!document.querySelector('li.cand.current button.pick[aria-pressed=\"true\"]')"


def sample_home(home: Path) -> None:
    if (home / "sample" / "papercast.db").is_file():
        return
    env = {**os.environ, "PAPERCAST_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "papercast", "run", "--sample"], env=env, cwd=home, check=True
    )


def serve(home: Path):  # type: ignore[no-untyped-def]
    import uvicorn

    from papercast.config import load_settings
    from papercast.layout import Layout
    from papercast.sample import sample_settings, serve_sample
    from papercast.web import WebConfig, create_app

    os.environ["PAPERCAST_HOME"] = str(home)
    os.chdir(home)
    context = serve_sample()
    _server, week = context.__enter__()
    settings = sample_settings(load_settings(None), week)
    app = create_app(
        WebConfig(
            settings=settings,
            layout=Layout.from_settings(settings),
            banner=f"The sample store ({week.week}, recorded data served from this machine).",
        )
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, context, f"http://127.0.0.1:{sock.getsockname()[1]}"


def shoot(browser: Browser, base: str, out: Path) -> None:
    for name, path, width, height, keys in SHOTS:
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        browser.call("Page.navigate", url=base + path)
        browser._wait_event("Page.loadEventFired")
        for key in keys:
            browser.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
            browser.call("Input.dispatchKeyEvent", type="keyUp", key=key)
            if key == "x":  # wait for htmx to redraw the picked row
                for _ in range(100):
                    if browser.evaluate(PICKED):
                        break
                    time.sleep(0.1)
        shot = browser.call("Page.captureScreenshot", format="png")
        target = out / f"{name}.png"
        target.write_bytes(base64.b64decode(shot["data"]))
        print(f"{target} ({target.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "serve")
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    home = (args.home or Path(tempfile.mkdtemp(prefix="papercast-shots-"))).resolve()
    sample_home(home)
    server, thread, context, base = serve(home)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="papercast-chromium-") as profile,
            Browser(Path(profile)) as browser,
        ):
            shoot(browser, base, out)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        context.__exit__(None, None, None)


if __name__ == "__main__":
    main()
