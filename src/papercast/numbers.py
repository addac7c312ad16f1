"""Numbers in prose, normalised for comparison: the grounding check's ground floor.

``1,024`` = ``1024``, ``4.20`` = ``4.2``, ``85%`` = ``85``, so formatting differences do not
count as invention. The summaries (``summarize/grounding.py``) and the podcast dialogue
(``audio/dialogue.py``) both check what they say against their source with these.

Numbers said in words count too, read with ``text2num`` (en, fr, es, pt, de, nl, da, it):
"twelve percent" = ``12``, "three hundred" = ``300``, "two point five" = ``2.5``, "zwölf
Prozent" = ``12``, "twenty twenty-four" = ``2024``. Both sides are read:

- **the source** (a paper's text, mostly English, and the summary in the issue's language) is
  read in English and in the issue's language, every spelled number, so "we evaluate on three
  datasets" grounds a summary's "3 datasets"; "7B" and "2x" give ``7`` (and 7000000000) and
  ``2``, so "seven billion" in the script is grounded by a summary's "7B";
- **a claim** (a summary's prose, a dialogue turn) is read in the issue's language only, and a
  spelled number is a claim when it says a quantity: ten or more, a decimal, or a small number
  followed by a percent word or "-fold" ("two-fold", "zweifach", "three percent"). Small
  counts ("one of the methods", "two variants", "three contributions") are not claims: a
  source often lists the things without counting them, so checking them would mostly flag
  honest summaries. Ordinals ("the second", "fourth") are never claims (as "4th" is not), nor
  a round number in one word ("hundreds of", "thousands", the "million" of "12 million").

Number words copied word for word from the source are grounded, however the two readings
group a run of them ("zero ninety-nine").

A language text2num does not read (ja, zh, ko...): claims are digits only, as before; the
source is still read in English, the language of most papers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from text_to_num import alpha2digit, find_numbers

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%)?(?![\w])")
# "7B", "1.3k", "2x": the number a source states with a scale or a multiplier glued on
_SUFFIXED = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?([kKMBT]|x)(?![\w])")
_SCALE = {"k": 3, "K": 3, "M": 6, "B": 9, "T": 12}
_ROUND = frozenset({100, 1000, 10**6, 10**9, 10**12})

# The languages text2num reads, by the primary subtag of a BCP 47 tag.
SPELLED_LANGUAGES = frozenset({"da", "de", "en", "es", "fr", "it", "nl", "pt"})
# Below this, a spelled whole number is a count ("two variants"), not a claim, unless a
# percent word or "-fold" follows it.
SMALL = 10
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:-\w+)*|[^\w\s]")
# "-fold" in en, de, nl, da: the one list the three readings below are made from
_FOLD_ENDINGS = ("fold", "fach", "voudig", "dobbelt")
_FOLD_WORDS = frozenset(_FOLD_ENDINGS)
_FOLD = re.compile(rf"^(\w+?)-?({'|'.join(_FOLD_ENDINGS)})$", re.IGNORECASE)
# "two-fold", "tenfold" -> "two fold", "ten fold": alpha2digit then reads the number (the
# ending in lower case, or capitalised)
_FOLD_SPLIT = re.compile(
    rf"(?<=\w)-?(?=(?:{'|'.join(f'[{e[0]}{e[0].upper()}]{e[1:]}' for e in _FOLD_ENDINGS)})\b)"
)
_PERCENT_SPLIT = re.compile(r"\b(?:per|pour|por)\s+(?:cent|ciento|cento)\b", re.IGNORECASE)
# in alpha2digit's output: "3,5" (a decimal comma), "20 24" ("twenty twenty-four")
_PAIR = re.compile(r"(?<![\w.,])(\d+),(\d+)(?![\w]|,\d)")
_YEAR = re.compile(r"(?<![\w.,])([1-9]\d)\s+([1-9]\d)(?![\w]|[.,]\d)")
_PERCENT_WORDS = frozenset(
    {
        "%",
        "percent",
        "percentage",
        "prozent",
        "prozentpunkte",
        "prozentpunkten",
        "prozentpunkt",
        "pourcent",
        "pourcents",
        "pour-cent",
        "percento",
        "procent",
        "procentpoint",
        "procentpunt",
        "procentpunten",
    }
)
# "per cent", "pour cent", "por ciento", "por cento", "per cento": a percent in two words,
# whose second word text2num would otherwise read as a hundred
_PERCENT_PAIRS = frozenset(
    {("per", "cent"), ("pour", "cent"), ("por", "ciento"), ("por", "cento"), ("per", "cento")}
)


def _normalise(integer: str, fraction: str | None) -> str:
    whole = integer.replace(",", "").lstrip("0") or "0"
    frac = (fraction or "").rstrip("0").rstrip(".")
    return whole + frac


def _value(value: Decimal | float) -> str:
    """A value as the digits side writes it normalised: ``7000000000``, ``2.5``, ``0``."""
    text = format(Decimal(str(value)).normalize(), "f")
    whole, _, frac = text.partition(".")
    return _normalise(whole, "." + frac if frac else None)


def spelled_language(tag: str | None) -> str | None:
    """text2num's code for a BCP 47 tag (``de`` for ``de-AT``), None if it cannot read it."""
    primary = re.split(r"[-_]", (tag or "").strip(), maxsplit=1)[0].lower()
    return primary if primary in SPELLED_LANGUAGES else None


def numbers_in(text: str) -> list[tuple[str, str]]:
    """(as written, normalised) for every number written in digits in ``text``."""
    found = []
    for match in _NUMBER.finditer(text):
        written = match.group(0).strip()
        found.append((written, _normalise(match.group(1), match.group(2))))
    return found


class _Token:
    """A word or a punctuation mark, as text2num's ``find_numbers`` reads them."""

    __slots__ = ("end", "skip", "start", "word")

    def __init__(self, word: str, start: int, end: int, skip: bool = False) -> None:
        self.word, self.start, self.end, self.skip = word, start, end, skip

    def text(self) -> str:
        return self.word

    def nt_separated(self, previous: object) -> bool:
        return False

    def not_a_number_part(self) -> bool:
        return self.skip


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous = ""
    for match in _TOKEN.finditer(text):
        word, start, end = match.group(), match.start(), match.end()
        lower = word.lower()
        fold = _FOLD.match(word) if lower.endswith(_FOLD_ENDINGS) else None
        if fold and not fold.group(1).isdigit():  # "two-fold", "tenfold", "zweifach"
            tokens.append(_Token(fold.group(1), start, start + len(fold.group(1))))
            tokens.append(_Token(fold.group(2), end - len(fold.group(2)), end))
        elif word in "-‐–—":  # a dash between words ("thirty - seven") separates them
            tokens.append(_Token(",", start, end))
        else:
            tokens.append(_Token(word, start, end, (previous, lower) in _PERCENT_PAIRS))
        previous = lower
    return tokens


@dataclass(frozen=True)
class _Spelled:
    start: int  # character offsets of the words in the text
    end: int
    value: Decimal
    claim: bool  # says a quantity (see the module's docstring)
    marked: int  # end of a percent word or "-fold" that follows (else ``end``)


def _marker_end(tokens: list[_Token], index: int) -> int | None:
    """Where the percent word or "-fold" at ``tokens[index]`` ends, if there is one."""
    if index >= len(tokens):
        return None
    word = tokens[index].word.lower()
    if word in _PERCENT_WORDS or word in _FOLD_WORDS:
        return tokens[index].end
    if index + 1 < len(tokens) and (word, tokens[index + 1].word.lower()) in _PERCENT_PAIRS:
        return tokens[index + 1].end
    return None


def _spelled(text: str, language: str) -> list[_Spelled]:
    """Every cardinal number said in words in ``text`` (text2num's ``language``), with its
    place: how a claim is read (short texts; ``known_numbers`` reads a source faster)."""
    tokens = _tokens(text)
    if not tokens:
        return []
    found: list[tuple[int, int, Decimal, bool]] = []  # token range, value, lone round
    occurrences: list[Any] = find_numbers(tokens, language, 0.0)
    for occ in occurrences:
        start, end = int(occ.start), int(occ.end)
        if occ.is_ordinal or any(c.isdigit() for t in tokens[start:end] for c in t.word):
            continue
        value = Decimal(str(occ.value))
        previous = found[-1] if found else None
        # "twenty twenty-four", "nineteen ninety-nine": a year in two numbers
        if (
            previous is not None
            and previous[1] == start
            and value == value.to_integral_value()
            and previous[2] == previous[2].to_integral_value()
            and 10 <= previous[2] <= 99
            and 10 <= value <= 99
        ):
            found[-1] = (previous[0], end, previous[2] * 100 + value, False)
            continue
        # the "billion" of "1.3 billion" or "one point three billion" multiplies a number
        # already read; a lone "hundreds" or "thousand" states no number
        found.append((start, end, value, end - start == 1 and value in _ROUND))
    spelled = []
    for start, end, value, lone_round in found:
        marked = _marker_end(tokens, end)
        claim = not lone_round and (
            value >= SMALL or value != value.to_integral_value() or marked is not None
        )
        spelled.append(
            _Spelled(
                start=tokens[start].start,
                end=tokens[end - 1].end,
                value=value,
                claim=claim,
                marked=marked if marked is not None else tokens[end - 1].end,
            )
        )
    return spelled


def _scaled_down(value: Decimal) -> list[str]:
    """A round number also as the digits a scale word multiplies: "seven billion" is 7 (as
    "7 billion" and "7B" are)."""
    forms = [_value(value)]
    for power in (3, 6, 9, 12):
        unit = Decimal(10) ** power
        if value >= unit and value % unit == 0:
            forms.append(_value(value / unit))
    return forms


def _stated(text: str) -> set[str]:
    """The numbers ``text`` states in digits, with "7B" as 7 and 7000000000, "2x" as 2."""
    known = {norm for _, norm in numbers_in(text)}
    for match in _SUFFIXED.finditer(text):
        mantissa = Decimal(match.group(1))
        known.add(_value(mantissa))
        if match.group(2) in _SCALE:
            known.add(_value(mantissa * Decimal(10) ** _SCALE[match.group(2)]))
    return known


def known_numbers(source: str, language: str | None) -> set[str]:
    """Every number ``source`` states, normalised: in digits, with a scale ("7B"), and in
    words in English and in ``language`` (a BCP 47 tag) where text2num reads them.

    The source is a paper's text, long: it is read with text2num's ``alpha2digit`` (all in
    Rust, about five times faster than tokens) and the digits it writes, so a few more values
    are known than the claims' reading would find ("pour cent" also gives 100, a decimal
    comma both readings): only ever fewer warnings, never more."""
    known: set[str] = set()  # alpha2digit keeps every number written in digits as it was
    issue = spelled_language(language)
    for lang in ["en"] + ([issue] if issue not in (None, "en") else []):
        said = alpha2digit(_PERCENT_SPLIT.sub("%", _FOLD_SPLIT.sub(" ", source)), lang, 0.0)
        known |= _stated(said)
        known.update(_normalise(a, "." + b) for a, b in _PAIR.findall(said) if lang != "en")
        known.update(a + b for a, b in _YEAR.findall(said))
    return known


def claims_in(text: str, language: str | None) -> list[tuple[str, list[str]]]:
    """(as written, the normalised forms any of which grounds it) for every number ``text``
    states: in digits, and in words in ``language`` (a BCP 47 tag) where text2num reads it."""
    found: list[tuple[int, str, list[str]]] = [
        (m.start(), m.group(0).strip(), [_normalise(m.group(1), m.group(2))])
        for m in _NUMBER.finditer(text)
    ]
    lang = spelled_language(language)
    if lang is not None:
        for said in _spelled(text, lang):
            if said.claim:
                found.append((said.start, text[said.start : said.marked], _scaled_down(said.value)))
    found.sort(key=lambda item: item[0])
    return [(written, forms) for _, written, forms in found]


def ungrounded(texts: list[str], source: str, *, language: str | None) -> list[str]:
    """Numbers in ``texts`` that ``source`` never states (as written, in order, unique).

    ``language`` is the issue's BCP 47 tag: the language ``texts`` are written in."""
    known = known_numbers(source, language)
    words: str | None = None  # the source's words, for a number in words copied from it
    missing: list[str] = []
    for text in texts:
        for written, forms in claims_in(text, language):
            if known.intersection(forms) or written in missing:
                continue
            if not written[:1].isdigit():
                # copied word for word ("zero ninety-nine", "two point five three hundred"):
                # the two readings may group a run of number words differently
                words = words if words is not None else " ".join(source.split()).casefold()
                copied = re.escape(" ".join(written.split()).casefold())
                if re.search(rf"(?<![\w-]){copied}(?![\w-])", words):
                    continue
            missing.append(written)
    return missing
