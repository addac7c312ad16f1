"""How a paper's clean text is divided: section headings, their roles, the sections.

``split_sections`` cuts text at lines that look like headings ("3 Method", "Conclusion",
"A Proof of the Bound" after the references) and gives each section a role (method,
results, limitations...); subsections share their section's role. The full-text budget, the
extractive backend and ``papercast summarize``'s PDF inputs all read papers through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal[
    "front",
    "abstract",
    "intro",
    "method",
    "results",
    "discussion",
    "conclusion",
    "limitations",
    "related",
    "other",
    "appendix",
    "references",
]
_ROLE_WORDS: tuple[tuple[Role, tuple[str, ...]], ...] = (
    ("references", ("references", "bibliography")),
    ("appendix", ("appendix", "supplementary", "acknowledg")),
    ("abstract", ("abstract",)),
    ("intro", ("introduction", "overview", "motivation")),
    ("related", ("related work", "background", "prior work", "literature")),
    ("limitations", ("limitation", "broader impact", "ethic")),
    ("conclusion", ("conclusion", "concluding", "summary", "future work")),
    ("results", ("result", "experiment", "evaluation", "benchmark", "ablation", "analysis")),
    ("discussion", ("discussion",)),
    (
        "method",
        (
            "method",
            "approach",
            "model",
            "framework",
            "architecture",
            "algorithm",
            "setup",
            "materials",
            "design",
            "training",
            "data",
            "preliminar",
            "problem",
        ),
    ),
)
_NUMBERED = re.compile(
    r"^(?:(?:\d{1,2}(?:\.\d{1,2}){0,2})\.?|[IVX]{1,5}\.|[A-H](?:\.\d{1,2})*\.)\s+"
    r"(?P<name>[A-Z][A-Za-z0-9 ,:&()'/-]{2,80})$"
)
_BARE = re.compile(
    r"^(?P<name>abstract|introduction|related work|background|methods?|methodology|approach|"
    r"experiments?|experimental (?:setup|results)|results(?: and discussion)?|evaluation|"
    r"discussion|conclusions?|limitations|references|bibliography|acknowledge?ments?|"
    r"appendix(?: [a-z])?(?:[:.] .*)?|materials and methods)\s*$",
    re.IGNORECASE,
)


@dataclass
class Section:
    heading: str
    role: Role
    text: str


def _role(heading: str) -> Role:
    lowered = heading.lower()
    for role, words in _ROLE_WORDS:
        if any(word in lowered for word in words):
            return role
    return "other"


_SECTION_NUMBER = re.compile(r"^((?:\d{1,2}|[A-H])(?:\.\d{1,2})*)\.?\s")
_APPENDIX_LETTERED = re.compile(r"^[A-H](?:\.\d{1,2})*\s+[A-Z][A-Za-z0-9 ,:&()'/-]{2,80}$")


def _heading(line: str, after_references: bool = False) -> str | None:
    """``line`` if it is a section heading. Appendix headings as LaTeX prints them ("A Proof
    of the Bound", no dot after the letter) count only after the references."""
    stripped = line.strip()
    if not stripped or len(stripped) > 90 or len(stripped.split()) > 12:
        return None
    bare = _BARE.match(stripped)
    if bare:
        return stripped
    numbered = _NUMBERED.match(stripped)
    if (
        numbered
        and len(stripped.split()) <= 9
        and not stripped.endswith((".", ",", ";"))
        and not re.search(r"\d{3}", stripped)
    ):
        return stripped
    if (
        after_references
        and _APPENDIX_LETTERED.match(stripped)
        and len(stripped.split()) <= 9
        and not stripped.endswith((".", ",", ";"))
    ):
        return stripped
    return None


def split_sections(text: str) -> list[Section]:
    """Cut text at lines that look like section headings ('3 Method', 'Conclusion')."""
    sections = [Section("", "front", "")]
    lines: list[str] = []
    back_matter = False  # past the references: lettered headings are appendices
    numbered_roles: dict[str, Role] = {}  # "2" -> "method": subsections share their role
    for line in text.splitlines():
        heading = _heading(line, back_matter)
        if heading is None:
            lines.append(line)
            continue
        sections[-1].text = "\n".join(lines).strip()
        lines = []
        role = _role(heading)
        if back_matter and _APPENDIX_LETTERED.match(heading):
            role = "appendix"
        number = _SECTION_NUMBER.match(heading)
        if number:  # "2.1 Study sites" belongs to "2 Materials and Methods"
            parent = numbered_roles.get(number.group(1).rpartition(".")[0])
            if parent is not None and parent != "other":
                role = parent
            numbered_roles[number.group(1)] = role
        back_matter = back_matter or role in ("references", "appendix")
        sections.append(Section(heading, role, ""))
    sections[-1].text = "\n".join(lines).strip()
    return [s for s in sections if s.text or s.heading]
