"""The summary prompts: system, user, JSON mode and repair (files in prompts/, overridable).

The prompt hash covers the system and user templates (not the rendered paper text), so changing
a prompt file makes new cache keys and old summaries are not reused for it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import jinja2

from papercast.errors import ConfigError
from papercast.llm.prompt_files import neutralize_delimiters, prompt_environment, template_source
from papercast.models import SUMMARY_SCHEMA_VERSION, Paper, Summary

SYSTEM = "summary-system.j2"
USER = "summary-user.j2"
JSON_MODE = "summary-json-mode.j2"
REPAIR = "summary-repair.j2"


@dataclass(frozen=True)
class PromptSet:
    """The loaded templates; render them for one paper."""

    env: jinja2.Environment
    hash: str

    @classmethod
    def load(cls, override_dir: Path | None = None) -> PromptSet:
        env = prompt_environment(override_dir)
        digest = hashlib.sha256()
        for name in (SYSTEM, USER):
            source = template_source(env, name)
            digest.update(name.encode() + b"\0" + source.encode("utf-8") + b"\0")
        digest.update(f"schema-v{SUMMARY_SCHEMA_VERSION}".encode())
        return cls(env=env, hash=digest.hexdigest()[:16])

    def _render(self, name: str, **values: object) -> str:
        try:
            return self.env.get_template(name).render(**values).strip() + "\n"
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"prompt {name}: {exc.message}", "fix the prompt file") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                f"prompt {name} line {exc.lineno}: {exc.message}", "fix the prompt file"
            ) from None

    def system(self) -> str:
        return self._render(SYSTEM)

    def user(self, paper: Paper, text: str, source_text: str) -> str:
        label = "full text (may be shortened)" if source_text == "full" else "abstract only"
        return self._render(
            USER,
            paper=paper,
            authors=paper.author_names(limit=8) or "unknown",
            text=neutralize_delimiters(text),
            source_label=label,
        )

    def json_mode(self) -> str:
        schema = json.dumps(Summary.model_json_schema(), indent=1)
        return self._render(JSON_MODE, schema=schema)

    def repair(self, error: str) -> str:
        return self._render(REPAIR, error=error[:500])
