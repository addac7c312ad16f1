"""The CLI prints paper and LLM text as it is: nothing in a title is read as rich markup."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from papercast.cli import app
from papercast.config import Settings
from papercast.models import Paper
from papercast.store import Database, PaperStore
from papercast.store.issues import IssueStore
from support.issue_builders import sample_issue

runner = CliRunner()
TITLE = r"Learning [x] with [bold red]markup[/] and \[escapes]"


def test_titles_with_markup_print_as_they_are(tmp_path: Path) -> None:
    issue = sample_issue(Settings(), issue_id="2024-W41")
    issue.title = TITLE
    with Database(Path(os.environ["PAPERCAST_HOME"]) / "papercast.db") as db:
        PaperStore(db).upsert(Paper(id="arxiv:2410.00001", source="arxiv", title=TITLE))
        IssueStore(db).save(issue)
    wide = {"COLUMNS": "200"}
    papers = runner.invoke(app, ["papers"], env=wide)
    assert papers.exit_code == 0, papers.output
    assert TITLE in papers.output
    issues = runner.invoke(app, ["issues"], env=wide)
    assert issues.exit_code == 0, issues.output
    assert TITLE in issues.output
