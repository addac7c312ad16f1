"""The gettext catalogues' source of truth: every translatable string in the code and the
templates (extracted with Babel, as ``scripts/update_catalogues.py`` does), and the
catalogues as shipped (``src/papercast/locale/<lang>/LC_MESSAGES/papercast.po``)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "src" / "papercast" / "locale"
DOMAIN = "papercast"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sr]")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
    "newstyle_gettext": "true",
}
# (folder, pattern, extractor): the prompts are for the model, not for readers
SOURCES = (
    (ROOT / "src" / "papercast", "**.py", "python"),
    (ROOT / "templates", "**.j2", "jinja2.ext:babel_extract"),
)


def extract() -> Catalog:
    """Every translatable string, with where it is used (a fresh template catalogue)."""
    catalog = Catalog(domain=DOMAIN, project="papercast", charset="utf-8")
    for folder, pattern, method in SOURCES:
        options = {pattern: JINJA_OPTIONS} if method != "python" else {}
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder), [(pattern, method)], options, keywords=KEYWORDS, strip_comment_tags=True
        ):
            where = (str((folder / filename).relative_to(ROOT)), lineno)
            catalog.add(message, None, [where], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> Catalog:
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def shipped_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def english_fragments(lang: str) -> dict[str, str]:
    """Each catalogue string's English wording, cut at its placeholders, where the translation
    says something else: none of these may be left in a translated output."""
    catalogue = read_catalogue(lang)
    fragments: dict[str, str] = {}
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        translated = " ".join(strings)
        for english in ids:
            for piece in PLACEHOLDER.split(english):
                piece = piece.strip(" :.,()")
                if len(piece) >= 4 and piece not in translated:
                    fragments[piece] = english
    return fragments


def english_left(lang: str, text: str) -> dict[str, str]:
    """The English fixed wording (piece -> msgid) still to be seen, as whole words, in ``text``
    that should be in ``lang``."""
    return {
        piece: msgid
        for piece, msgid in english_fragments(lang).items()
        if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text)
    }
