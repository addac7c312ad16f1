"""Update the gettext catalogues after changing a translatable string.

Usage: ``python scripts/update_catalogues.py [--init LANG ...] [--check]``

Extracts every translatable string from src/papercast (``_()``, ``ngettext()``, ``N_()``) and
templates/ (``{{ _("...") }}``, ``ngettext``) with Babel, writes the template catalogue
``src/papercast/locale/papercast.pot`` and merges it into each
``src/papercast/locale/<lang>/LC_MESSAGES/papercast.po`` (new strings arrive untranslated,
changed ones fuzzy: translate them, then remove the ``fuzzy`` flag). ``--init LANG`` starts a
catalogue for a new language. ``--check`` changes nothing and exits 1 when a catalogue misses a
string (tests/test_i18n.py runs the same check). Compiling to ``.mo`` happens when the wheel is
built (hatch_build.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from support.catalogues import (
    DOMAIN,
    LOCALE,
    extract,
    po_path,
    read_catalogue,
    shipped_languages,
)


def missing(template: Catalog, lang: str) -> list[str]:
    catalogue = read_catalogue(lang)
    gaps = []
    for message in template:
        if not message.id:
            continue
        found = catalogue.get(message.id, message.context)
        strings = found.string if found is not None else None
        parts = strings if isinstance(strings, (list, tuple)) else [strings]
        if found is None or found.fuzzy or not all(parts):
            gaps.append(str(message.id if isinstance(message.id, str) else message.id[0]))
    return gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--init", nargs="*", default=[], metavar="LANG")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    template = extract()
    if args.check:
        failed = False
        for lang in shipped_languages():
            gaps = missing(template, lang)
            for gap in gaps:
                print(f"{lang}: untranslated {gap!r}")
            failed = failed or bool(gaps)
        return 1 if failed else 0
    with (LOCALE / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, omit_header=False, sort_by_file=True, width=100)
    for lang in sorted(set(shipped_languages()) | set(args.init)):
        path = po_path(lang)
        if path.is_file():
            catalogue = read_catalogue(lang)
        else:
            catalogue = Catalog(locale=lang, domain=DOMAIN, project="papercast")
        catalogue.update(template, no_fuzzy_matching=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalogue, sort_by_file=True, width=100, ignore_obsolete=True)
        print(f"{path}: {len(missing(template, lang))} strings to translate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
