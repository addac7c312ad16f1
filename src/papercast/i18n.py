"""The issue's language: gettext catalogues for every fixed string, Babel for dates and numbers.

``[issue] language`` is a BCP 47 tag (``"de"``, ``"pt-BR"``, ``"zh-Hans"``...). Fixed strings
(headings, labels, the transparency line, chapter names, feed text...) come from the gettext
catalogue ``papercast/locale/<lang>/LC_MESSAGES/papercast.po`` of the closest language that has
one (``pt-BR`` uses ``pt``); a language without a catalogue gets the English strings and one
warning, while the summaries are still written in it. Dates and numbers always follow the
locale (Babel has CLDR data for every language), and so does the text direction.

In a wheel the catalogues are compiled ``.mo`` files (compiled at build time by
``hatch_build.py``); in a source checkout, where only the ``.po`` files exist, they are
compiled in memory on first use.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

log = logging.getLogger(__name__)

DOMAIN = "papercast"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"})


def parse_language(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag (``"de"``, ``"pt-BR"``, ``"zh-Hans"``); ValueError for
    anything Babel does not know."""
    text = tag.strip()
    if not text:
        raise ValueError("empty language tag")
    try:
        return Locale.parse(text, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(
            f"{tag!r} is not a language tag Babel knows ({exc}); use a BCP 47 tag such as "
            '"en", "de", "fr", "pt-BR", "zh", "ja"'
        ) from None


def catalogue_languages() -> list[str]:
    """The languages papercast ships a catalogue for (besides English), sorted."""
    if not LOCALE_DIR.is_dir():
        return []
    return sorted(
        p.name
        for p in LOCALE_DIR.iterdir()
        if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
        or (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
    )


def _catalogue_for(locale: Locale) -> str | None:
    """The catalogue folder name that serves ``locale``: exact (``pt_BR``), then the language."""
    available = set(catalogue_languages())
    for name in (str(locale), locale.language):
        if name in available:
            return name
    return None


def _load(name: str) -> gettext.NullTranslations:
    folder = LOCALE_DIR / name / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    po = folder / f"{DOMAIN}.po"
    if mo.is_file():  # a wheel (the .mo files are build output, never in git)
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    # a source checkout: compile the .po in memory (wheels carry the compiled .mo)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=name, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Language:
    """Everything the outputs need to speak one language."""

    tag: str
    locale: Locale
    translations: gettext.NullTranslations
    catalogue: str | None  # the catalogue used; None: English strings

    @property
    def code(self) -> str:
        """The primary language subtag: ``de`` for ``de-AT``."""
        return self.locale.language

    @property
    def is_english(self) -> bool:
        return self.code == "en"

    @property
    def rtl(self) -> bool:
        return self.code in RTL_LANGUAGES or self.locale.character_order == "right-to-left"

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def english_name(self) -> str:
        """How a prompt names it: ``German``, ``Portuguese (Brazil)``, ``Japanese``."""
        return str(self.locale.get_display_name("en") or self.tag)

    @property
    def native_name(self) -> str:
        return str(self.locale.get_display_name(self.locale) or self.tag)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def date(self, day: date | datetime, form: str = "medium") -> str:
        """A date as the locale writes it (``form``: short, medium, long, full, or a
        CLDR skeleton such as ``MMMd``)."""
        value = day.date() if isinstance(day, datetime) else day
        if form in ("short", "medium", "long", "full"):
            return str(format_date(value, format=form, locale=self.locale))
        from babel.dates import format_skeleton

        return str(format_skeleton(form, value, locale=self.locale))

    def number(self, value: float, digits: int | None = None) -> str:
        """A number as the locale writes it (``1.234,5`` in German); ``digits``: exactly that
        many after the decimal sign."""
        if digits is None:
            return str(format_decimal(value, locale=self.locale))
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return str(format_decimal(value, format=pattern, locale=self.locale))

    def usd(self, value: float, digits: int = 4) -> str:
        """An amount of US dollars as the locale writes it (``$0.0123``, ``0,0123 $``), to
        ``digits`` decimals at most (LLM costs are fractions of a cent)."""
        return str(
            format_currency(
                round(value, digits), "USD", locale=self.locale, decimal_quantization=False
            )
        )


@functools.cache
def get_language(tag: str) -> Language:
    """The Language of a tag (already validated by the configuration); warns once, per tag, when
    papercast has no catalogue for it."""
    locale = parse_language(tag)
    name = None if locale.language == "en" else _catalogue_for(locale)
    if name is None:
        translations: gettext.NullTranslations = gettext.NullTranslations()
        if locale.language != "en":
            log.warning(
                "no papercast catalogue for language %r: fixed strings (headings, labels) "
                "stay in English, summaries are still written in %s (catalogues: %s)",
                tag,
                locale.get_display_name("en"),
                ", ".join(catalogue_languages()) or "none",
            )
    else:
        translations = _load(name)
    return Language(tag=tag, locale=locale, translations=translations, catalogue=name)


ENGLISH = "en"


def N_(message: str) -> str:
    """Mark a string for the catalogue where it is defined; translate it where it is shown."""
    return message
