"""Substack has no posting API: we write HTML that pastes cleanly into its editor.

The editor keeps headings, paragraphs, links, emphasis, lists, blockquotes, rules, line breaks
and images, and drops everything else (tables, classes, styles). ``substack_problems`` checks a
rendered ``substack.html`` (including a user's own template) against that list.
"""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "p", "a", "em", "i", "strong", "b", "ul", "ol", "li",
        "blockquote", "hr", "br", "img", "figure", "figcaption",
    }
)  # fmt: skip
ALLOWED_ATTRS = {"a": {"href"}, "img": {"src", "alt"}}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}> is not kept by the Substack editor")
            return
        allowed = ALLOWED_ATTRS.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.problems.append(f"<{tag} {name}=…> attribute is not kept")
            elif name in ("href", "src") and not (value or "").startswith(("https://", "http://")):
                self.problems.append(f"<{tag} {name}={value!r}> is not an http(s) link")


def substack_problems(html: str) -> list[str]:
    """What in ``html`` the Substack editor would drop or should never see (sorted, unique)."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return sorted(set(checker.problems))
