"""issue.bib as a reference manager reads it: parsed by bibtexparser, nothing left over."""

from __future__ import annotations

import bibtexparser

EXPECTED_FIELDS = {
    "title", "author", "year", "month", "eprint", "archivePrefix", "primaryClass", "doi",
    "url", "note", "publisher",
}  # fmt: skip


def _balanced(value: str) -> bool:
    depth = 0
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def assert_bibtex_sound(text: str, *, entries: int) -> str:
    """``text`` parses into exactly ``entries`` entries with known fields and unique keys and
    no failed block; returns every field value, for checks on what a reader sees."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    # one header comment, then entries: text that escaped its field would be a block of its own
    others = [b for b in library.blocks if b not in library.entries]
    assert len(others) <= 1, [getattr(b, "comment", b) for b in others]
    assert len(library.entries) == entries, [e.key for e in library.entries]
    assert len({e.key for e in library.entries}) == entries
    values = []
    for entry in library.entries:
        assert entry.entry_type == "misc"
        assert set(entry.fields_dict) <= EXPECTED_FIELDS, entry.fields_dict.keys()
        for field in entry.fields:
            assert isinstance(field.value, str) and _balanced(field.value), field
            values.append(field.value)
    return "\n".join(values)
