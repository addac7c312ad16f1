"""The Batch API path at library level: submit, poll, collect, half-price costs, failures."""

from __future__ import annotations

import json

import pytest

from papercast.errors import BudgetExceededError, ConfigError
from papercast.store.calls import CallStore
from papercast.summarize import summarize_papers
from papercast.summarize.batch import collect_batches, submit_batch
from support.fake_openai import FakeOpenAI
from support.llm_helpers import Env, make_paper, make_settings


def test_submit_collect_costs_half_and_isolates_failures() -> None:
    papers = [make_paper(i) for i in range(1, 4)]
    with FakeOpenAI(batch_polls=1) as fake:
        env = Env.create(make_settings(fake, fulltext=False))
        info = submit_batch(env.request(papers))
        assert info is not None and info.request_count == 3
        upload = fake.calls_to("/v1/files")[0].raw.decode()
        lines = [json.loads(x) for x in upload.splitlines() if x.startswith('{"custom_id"')]
        assert len(lines) == 3 and lines[0]["url"] == "/v1/chat/completions"
        schema = lines[0]["body"]["response_format"]["json_schema"]
        assert schema["strict"] is True and "keywords" in schema["schema"]["required"]
        # Already pending: not submitted twice.
        assert submit_batch(env.request(papers)) is None
        first = collect_batches(settings=env.settings, db=env.db)
        assert [r.done for r in first] == [False] and first[0].status == "in_progress"
        fake.fail_randomly("500", 1.0, path="batch:/v1/chat/completions", match="Method2")
        second = collect_batches(settings=env.settings, db=env.db)[0]
        assert second.done and set(second.records) == {papers[0].id, papers[2].id}
        assert "batch request failed" in second.failures[papers[1].id]
        assert collect_batches(settings=env.settings, db=env.db) == []
        rerun = summarize_papers(env.request(papers))
    assert rerun.cached == {papers[0].id, papers[2].id} and rerun.requests == 1
    calls = [c for c in CallStore(env.db).calls() if c["purpose"] == "summary-batch"]
    ok = [c for c in calls if c["status"] == "ok"]
    assert len(ok) == 2
    for call in ok:
        full = (call["input_tokens"] * 0.15 + call["output_tokens"] * 0.60) / 1e6
        assert call["cost_usd"] == pytest.approx(full / 2)


def test_batch_budget_and_backend_checks() -> None:
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False))
        with pytest.raises(BudgetExceededError):
            submit_batch(env.request([make_paper(1)], max_cost=1e-7))
        assert fake.calls == []
    offline = Env.create(make_settings(None, fulltext=False))
    with pytest.raises(ConfigError, match="--batch"):
        submit_batch(offline.request([make_paper(1)]))
