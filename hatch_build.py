"""Wheel build hook: compile the gettext catalogues (``.po`` -> ``.mo``) into the wheel.

The ``.po`` files are the source, kept in git and reviewed as text; the ``.mo`` files are build
output and never committed, so a catalogue can never ship stale. A source checkout (editable
install) compiles them in memory on first use instead (``papercast.i18n``). A catalogue with
an error (a broken placeholder, a syntax error) fails the build.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # imported by tests/test_i18n.py, outside a build
    BuildHookInterface = object  # type: ignore[assignment,misc]

LOCALE = Path("src") / "papercast" / "locale"


def compile_catalogues(root: Path, out: Path) -> dict[Path, str]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``root/LOCALE`` into ``out``; returns
    {compiled file: its path inside the wheel}."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled: dict[Path, str] = {}
    for po in sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po")):
        lang = po.parent.parent.name
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        problems = [
            f"{po}: {message.id!r}: {error}"
            for message, errors in catalog.check()
            for error in errors
        ]
        if problems:
            raise RuntimeError("broken catalogue: " + "; ".join(problems))
        target = out / lang / "LC_MESSAGES" / (po.stem + ".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        compiled[target] = f"papercast/locale/{lang}/LC_MESSAGES/{po.stem}.mo"
    return compiled


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return  # the checkout compiles in memory
        self._tmp = tempfile.TemporaryDirectory(prefix="papercast-mo-")
        compiled = compile_catalogues(Path(self.root), Path(self._tmp.name))
        build_data["force_include"].update({str(k): v for k, v in compiled.items()})

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
