"""Fetch htmx from the npm registry and vendor it into the web app's static files.

    python scripts/vendor_htmx.py            # the pinned version
    python scripts/vendor_htmx.py 2.0.12     # another one (then update VERSION here)

Runs ``npm pack htmx.org@VERSION`` (npm checks the tarball against the registry's integrity
hash), and writes ``src/papercast/web/static/htmx.min.js`` with a header naming the version
and its license (0BSD), plus the license text beside it. No CDN at run time, no build step.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "2.0.11"
STATIC = Path(__file__).resolve().parents[1] / "src" / "papercast" / "web" / "static"


def main() -> None:
    version = sys.argv[1] if len(sys.argv) > 1 else VERSION
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"htmx.org@{version}", "--pack-destination", tmp, "--silent"],
            check=True,
        )
        tarball = next(Path(tmp).glob("htmx.org-*.tgz"))
        with tarfile.open(tarball) as archive:
            script = archive.extractfile("package/dist/htmx.min.js")
            license_file = archive.extractfile("package/LICENSE")
            assert script is not None and license_file is not None
            code = script.read().decode("utf-8")
            license_text = license_file.read().decode("utf-8")
    header = (
        f"/*! htmx {version} | (c) Big Sky Software | license 0BSD (htmx.LICENSE) | "
        f"vendored by scripts/vendor_htmx.py from the npm package htmx.org@{version} */\n"
    )
    (STATIC / "htmx.min.js").write_text(header + code, encoding="utf-8")
    (STATIC / "htmx.LICENSE").write_text(license_text, encoding="utf-8")
    print(f"vendored htmx {version} into {STATIC}")


if __name__ == "__main__":
    main()
