"""Smoke check: `papercast serve --sample` answers the sample week with its own script and styles.

    python scripts/smoke_serve.py PATH/TO/papercast

Run in the folder where `papercast run --sample` ran (.ci/run does, from the built wheel):
checks that the web app's templates and static files are in the installed package. Standard
library only; the server is stopped (SIGTERM) however the check ends.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request

CHECKS = (
    ("/", b"2024-W41"),
    ("/static/htmx.min.js", b"htmx"),
    ("/static/papercast.js", b"keydown"),
    ("/static/papercast.css", b"{"),
)


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.argv[1], "serve", "--sample", "--port", str(port)])
    try:
        for path, needle in CHECKS:
            for _ in range(600):  # a hang guard: the server answers once it listens
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
                        body = r.read()
                    break
                except OSError:
                    if proc.poll() is not None:
                        sys.exit(f"papercast serve exited with {proc.returncode}")
                    time.sleep(0.2)
            else:
                sys.exit(f"papercast serve never answered {path}")
            if needle not in body:
                sys.exit(f"{path} does not contain {needle!r}")
        print(f"papercast serve answered {len(CHECKS)} addresses")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
