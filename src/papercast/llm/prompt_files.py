"""Prompt files: shipped in prompts/, overridable by file name from ``[llm] prompts_dir``.

The summary prompts (``papercast.summarize.prompts``) and the relevance pass's prompts
(``papercast.rank.llm_pass``) are read through the same Jinja environment, and paper text is
quoted into both the same way: it can never close (or open) the ``<paper>`` block it sits in.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from papercast.errors import ConfigError
from papercast.resources import prompts_dir

_DELIMITER = re.compile(r"<\s*(/?)\s*paper\b", re.IGNORECASE)


def neutralize_delimiters(text: str) -> str:
    """Paper text cannot close (or open) the <paper> block it is quoted in."""
    return _DELIMITER.sub(lambda m: f"&lt;{m.group(1)}paper", text)


def prompt_environment(override_dir: Path | None) -> jinja2.Environment:
    """Jinja over ``override_dir`` (first) and the shipped prompts; a missing value is an error."""
    if override_dir is not None and not override_dir.is_dir():
        raise ConfigError(
            f"llm.prompts_dir {override_dir} is not a directory",
            "create it, or remove the setting to use the shipped prompts",
        )
    search = [str(override_dir)] if override_dir is not None else []
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([*search, str(prompts_dir())]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - prompts are plain text, not HTML
        keep_trailing_newline=True,
    )


def template_source(env: jinja2.Environment, name: str) -> str:
    """The text of prompt file ``name`` as found (the override or the shipped one)."""
    try:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        raise ConfigError(
            f"prompt file {name} is missing", f"restore it in {prompts_dir()}"
        ) from None
    return source
