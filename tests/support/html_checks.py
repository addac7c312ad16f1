"""HTML assertions shared by the render, site and browser tests."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from support.issue_builders import HOSTILE_TITLE


class Tags(HTMLParser):
    """Collects tags, attributes and visible text of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @classmethod
    def of(cls, html: str) -> Tags:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    @property
    def all_text(self) -> str:
        return " ".join(self.text)

    def hrefs(self) -> list[str]:
        return [a["href"] or "" for t, a in self.tags if t == "a" and "href" in a]


def assert_inert(html: str, *, relative_ok: bool = False) -> None:
    """No script/img/iframe, no on* handlers, only http(s) links (or relative ones if ok)."""
    doc = Tags.of(html)
    names = [t for t, _ in doc.tags]
    assert "script" not in names and "img" not in names and "iframe" not in names
    for tag, attrs in doc.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for key in ("href", "src"):
            value = attrs.get(key)
            if value is None or tag == "audio":
                continue
            if relative_ok and not urlsplit(value).scheme and not value.startswith("//"):
                continue
            assert value.startswith(("https://", "http://")), (tag, key, value)
    # the hostile strings are still there, as text
    assert HOSTILE_TITLE in doc.all_text
    assert "<script>alert('x')</script>" in doc.all_text
