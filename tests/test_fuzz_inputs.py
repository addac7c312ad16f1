"""Property tests (hypothesis) for what users and papers hand papercast: arXiv ids, URLs and
DOIs, the config file, and paper/LLM text through every rendered format (issue 8)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from papercast.config import Settings, load_settings
from papercast.errors import ConfigError, InputError
from papercast.ids import normalize_doi, parse_arxiv_id, parse_reference
from papercast.issue import assemble_issue
from papercast.models import Author, IssueEntry
from papercast.render import make_environment, render_format
from support.html_checks import Tags
from support.issue_builders import paper, summary

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
URLISH = st.builds(
    "{}{}{}".format,
    st.sampled_from(
        [
            "",
            "https://",
            "http://",
            "arxiv:",
            "arXiv:",
            "doi:",
            "https://doi.org/",
            "file://",
            "javascript:",
            "//",
        ]
    ),
    st.sampled_from(
        [
            "",
            "arxiv.org/abs/",
            "export.arxiv.org/pdf/",
            "[arxiv.org/",
            "www.biorxiv.org/content/",
            "www.medrxiv.org/content/",
            "arxiv.org:99999/abs/",
        ]
    ),
    TEXT,
)


# --- identifiers ------------------------------------------------------------------------


@FUZZ
@given(text=TEXT | URLISH)
@example("https://[arxiv.org/abs/2410.05258")
@example("10.48550/arxiv.2410.99999v3")
@example("https://www.biorxiv.org/content/10.1101/")
def test_any_reference_is_understood_or_a_clear_input_error(text: str) -> None:
    try:
        ref = parse_reference(text)
    except InputError as exc:
        assert exc.message and exc.hint
        return
    if ref.kind == "arxiv":
        assert ref.paper_id is not None and ref.paper_id.startswith("arxiv:")
    if ref.url is not None:
        assert ref.url.startswith(("http://", "https://"))


@FUZZ
@given(text=TEXT | URLISH)
def test_any_text_is_an_arxiv_id_or_a_clear_input_error(text: str) -> None:
    try:
        short, version = parse_arxiv_id(text)
    except InputError:
        return
    assert parse_arxiv_id(short) == (short, None)
    assert version is None or version >= 0


NEW_IDS = st.builds(
    "{:02d}{:02d}.{}".format,
    st.integers(7, 99),
    st.integers(1, 12),
    st.integers(0, 99999).map(lambda n: f"{n:05d}")
    | st.integers(0, 9999).map(lambda n: f"{n:04d}"),
)
OLD_IDS = st.builds(
    "{}/{:07d}".format,
    st.sampled_from(["hep-th", "math.GT", "cond-mat", "astro-ph"]),
    st.integers(0, 9_999_999),
)


@FUZZ
@given(short=NEW_IDS | OLD_IDS, version=st.none() | st.integers(1, 99), form=st.integers(0, 6))
def test_every_spelling_of_an_arxiv_id_means_the_same_paper(
    short: str, version: int | None, form: int
) -> None:
    v = f"v{version}" if version else ""
    spelled = [
        f"{short}{v}",
        f"arXiv:{short}{v}",
        f"  {short}{v}  ",
        f"https://arxiv.org/abs/{short}{v}",
        f"http://export.arxiv.org/pdf/{short}{v}.pdf",
        f"arxiv.org/abs/{short}{v}",
        f"https://doi.org/10.48550/arXiv.{short}{v}",
    ][form]
    ref = parse_reference(spelled)
    assert ref.kind == "arxiv" and ref.paper_id == f"arxiv:{short}" and ref.version == version


@FUZZ
@given(
    doi=st.builds(
        "10.{}/{}".format,
        st.integers(1000, 999999999),
        TEXT.filter(lambda t: t.strip() and not any(c.isspace() for c in t)),
    )
)
def test_doi_normalization_is_idempotent_and_case_blind(doi: str) -> None:
    once = normalize_doi(doi)
    assert normalize_doi(once) == once
    if doi.isascii():  # DOIs are case-insensitive over ASCII
        assert normalize_doi(doi.upper()) == once


# --- the config file --------------------------------------------------------------------

SECTIONS = sorted(name for name in Settings.model_fields if name not in ("config_file", "home"))
TOML_VALUES = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.booleans().map(lambda b: str(b).lower()),
    TEXT.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.lists(st.integers(0, 9), max_size=3).map(str),
)


@st.composite
def config_files(draw: st.DrawFn) -> str:
    lines = []
    for section in draw(st.lists(st.sampled_from(SECTIONS), max_size=3, unique=True)):
        lines.append(f"[{section}]")
        fields = sorted(getattr(Settings.model_fields[section].annotation, "model_fields", {})) or [
            "x"
        ]
        for key in draw(
            st.lists(st.sampled_from([*fields, "no_such_key", "_private"]), max_size=4, unique=True)
        ):
            lines.append(f"{key} = {draw(TOML_VALUES)}")
    if draw(st.booleans()):
        lines.insert(
            0,
            f"{draw(st.sampled_from(['_env_file', '_cli_parse_args', 'home', 'unknown']))} = {draw(TOML_VALUES)}",
        )
    if draw(st.booleans()):
        lines.append(draw(TEXT))  # free text: maybe not TOML at all
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=config_files() | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_config_file_loads_or_names_the_problem(tmp_path: Path, text: str) -> None:
    path = tmp_path / "papercast.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        loaded = load_settings(path)
    except ConfigError as exc:
        assert exc.message and exc.hint
        assert str(path) in exc.message or "invalid configuration" in exc.message
        return
    assert loaded.config_file == path


ENV_NAMES = st.builds(
    "PAPERCAST_{}{}".format,
    st.sampled_from([s.upper() for s in SECTIONS] + ["NOPE", "ARXIV__", ""]),
    st.sampled_from(
        [
            "",
            "__DELAY_SECONDS",
            "__CATEGORIES",
            "__MAX_CONCURRENCY",
            "__TO",
            "__PASSWORD",
            "__NO_SUCH",
            "__BASE_URL",
            "__FORMATS",
        ]
    ),
)
ENV_VALUES = st.one_of(
    TEXT.filter(lambda t: "\x00" not in t),
    st.sampled_from(["1", "-1", "1e999", "[]", '["cs.LG"]', "{", "true", ""]),
)


@FUZZ
@given(env=st.dictionaries(ENV_NAMES, ENV_VALUES, max_size=3))
def test_any_papercast_environment_loads_or_names_the_variable(env: dict[str, str]) -> None:
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        try:
            load_settings(None, cwd=Path("/nonexistent-dir-for-config"))
        except ConfigError as exc:
            assert exc.message and exc.hint
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("key", ["_env_file", "_cli_parse_args", "_secrets_dir", "config_file"])
def test_settings_constructor_options_are_not_config_keys(tmp_path: Path, key: str) -> None:
    # these are pydantic-settings' own init arguments: from a config file they would change how
    # settings load (read another env file, parse the command line), so they are unknown keys
    (tmp_path / "e.env").write_text("PAPERCAST_LLM__MODEL=smuggled\n")
    path = tmp_path / "papercast.toml"
    path.write_text(
        f'{key} = "{tmp_path / "e.env"}"\n' if key != "_cli_parse_args" else f"{key} = true\n"
    )
    with pytest.raises(ConfigError, match=f"unknown key '{key}'"):
        load_settings(path)


# --- rendering: paper and LLM text are inert in every format ----------------------------

HOSTILE_BITS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "'><svg onload=alert(1)>",
        "javascript:alert(1)",
        "[x](javascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "{{ 7*7 }}",
        "{% raw %}",
        "</textarea><iframe src=//evil>",
        "&lt;script&gt;",
        "<!--",
        "]]>",
    ]
)
UNESCAPED_MD = re.compile(r"(?<!\\)<(script|img|svg|iframe|a )|(?<!\\)\]\((javascript|data):")
PROSE = st.lists(HOSTILE_BITS | TEXT, min_size=1, max_size=4).map(" ".join)


@FUZZ
@given(
    title=PROSE,
    author=PROSE,
    tldr=PROSE,
    results=PROSE,
    url=st.sampled_from(
        ["javascript:alert(1)", "data:text/html,x", "https://e.org/a?b=<c>", "//evil.example/x", ""]
    ),
)
def test_paper_and_llm_text_cannot_inject_markup_into_any_format(
    title: str, author: str, tldr: str, results: str, url: str
) -> None:
    config = Settings()
    hostile = paper(
        1,
        title=title or "x",
        authors=[Author(name=author or "x")],
        abs_url=url or None,
        pdf_url=url or None,
    )
    record = summary(1, 9, tldr=tldr or "x", results=results or "x")
    issue = assemble_issue(
        "2024-W41",
        ranked=[IssueEntry(paper=hostile, score=1.0), IssueEntry(paper=paper(2), score=0.5)],
        summaries={hostile.id: record},
        settings=config,
    )
    env = make_environment(config)
    for fmt in ("html", "email", "substack"):
        html = render_format(issue, fmt, settings=config, env=env)
        doc = Tags.of(html)
        names = {tag for tag, _ in doc.tags}
        assert not names & {"script", "img", "svg", "iframe", "textarea", "object", "embed"}, (
            fmt,
            names,
        )
        for tag, attrs in doc.tags:
            assert not [a for a in attrs if a.startswith("on")], (fmt, tag, attrs)
            href = attrs.get("href") or attrs.get("src")
            if href is not None and tag != "audio":
                assert href.startswith(("https://", "http://", "mailto:", "#")), (fmt, tag, href)
    markdown = render_format(issue, "md", settings=config, env=env)
    # markup from the text stays backslash-escaped: it shows as text, never as a link or tag
    assert not UNESCAPED_MD.search(markdown), UNESCAPED_MD.search(markdown)
