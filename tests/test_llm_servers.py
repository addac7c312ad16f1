"""What OpenAI-compatible servers other than OpenAI do, replayed by the fake on 127.0.0.1.

Each test mimics one behaviour measured on (or documented for) a real server in
docs/llm-servers.md; tests/test_llama_server.py proves the same against llama.cpp itself.
"""

from __future__ import annotations

import pytest

from papercast.llm.base import ContextOverflowError
from papercast.llm.client import endpoint
from papercast.llm.openai_backend import OpenAIBackend, OpenAIOptions
from papercast.sample.server import FixtureServer, Reply
from papercast.store.calls import CallStore
from papercast.summarize import summarize_papers
from papercast.summarize.direct import tighter_budget
from papercast.summarize.jobs import make_job
from papercast.summarize.prompts import PromptSet
from support.fake_openai import FakeOpenAI
from support.fake_openai_content import tokens_for
from support.llm_helpers import Env, make_paper, make_settings
from support.pdfs import make_many_page_pdf


def run(env: Env, papers, **kw):  # type: ignore[no-untyped-def]
    return summarize_papers(env.request(papers, **kw))


def formats(fake: FakeOpenAI) -> list[str]:
    return [
        (c.body.get("response_format") or {}).get("type", "none") for c in fake.completion_calls
    ]


def test_json_schema_rejected_with_500_steps_down_at_once_and_remembers() -> None:
    """llama-cpp-python's server answers json_schema with HTTP 500: not an outage."""
    papers = [make_paper(1), make_paper(2)]
    with FakeOpenAI(json_schema_support=False, json_schema_status=500) as fake:
        env = Env.create(make_settings(fake, fulltext=False, max_retries=4, max_concurrency=1))
        result = run(env, papers)
        calls = fake.completion_calls
    assert set(result.records) == {p.id for p in papers} and not result.failures
    # One rejected request (no retries of it), then JSON mode with the schema for both papers.
    assert [c.status for c in calls] == [500, 200, 200]
    assert formats(fake) == ["json_schema", "json_object", "json_object"]
    for call in calls[1:]:
        assert call.body["response_format"]["schema"]["required"][0] == "tldr"
        assert '"significance"' in call.body["messages"][0]["content"]  # schema in the prompt
    rows = CallStore(env.db).calls()
    assert [(r["status"], r["error"] is not None) for r in rows] == [
        ("error", True),
        ("ok", False),
        ("ok", False),
    ]
    assert "json_schema" in rows[0]["error"]


def test_the_same_500_twice_is_not_retried_as_an_outage() -> None:
    paper = make_paper(1)
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False, max_retries=6))
        fake.fail_randomly("500-same", 1.0)
        result = run(env, [paper])
    reason = result.failures[paper.id]
    assert "same error twice" in reason and "not an outage" in reason
    # Two requests show the error repeats; one step down the format ladder shows the format is
    # not the cause; then it stops, far short of 1 + max_retries attempts per format.
    assert [c.status for c in fake.completion_calls] == [500, 500, 500, 500]
    assert formats(fake) == ["json_schema", "json_schema", "json_object", "json_object"]


def test_an_outage_500_is_retried_until_it_passes() -> None:
    paper = make_paper(1)
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False, max_retries=4))
        fake.fail_next("500", 3)  # OpenAI's 500s name a new request id each time
        result = run(env, [paper])
    assert paper.id in result.records
    assert [c.status for c in fake.completion_calls] == [500, 500, 500, 200]
    assert set(formats(fake)) == {"json_schema"}  # an outage is no reason to change format


def test_retries_stop_at_max_retries_and_say_so() -> None:
    paper = make_paper(1)
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False, max_retries=2))
        fake.fail_randomly("500", 1.0)
        result = run(env, [paper])
    assert len(fake.completion_calls) == 3
    assert "HTTP 500" in result.failures[paper.id] and "3 attempts" in result.failures[paper.id]


def test_usage_is_estimated_and_marked_when_the_server_reports_none() -> None:
    paper = make_paper(1)
    with FakeOpenAI(usage=False) as fake:
        env = Env.create(make_settings(fake, fulltext=False))
        result = run(env, [paper])
    record = result.records[paper.id]
    assert record.usage.input_tokens > 100 and record.usage.output_tokens > 20
    assert record.usage.estimated and result.usage.estimated
    assert record.usage.cost_usd > 0  # gpt-4o-mini is priced: an estimate is still a cost
    rows = CallStore(env.db).calls(paper.id)
    assert [(r["usage_estimated"], r["input_tokens"] > 0) for r in rows] == [(1, True)]


def test_reported_usage_is_not_marked_estimated() -> None:
    paper = make_paper(1)
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False))
        result = run(env, [paper])
    assert not result.records[paper.id].usage.estimated
    assert [r["usage_estimated"] for r in CallStore(env.db).calls(paper.id)] == [0]


def test_other_servers_get_max_tokens_openai_gets_max_completion_tokens() -> None:
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False, max_output_tokens=700))
        run(env, [make_paper(1)])
        body = fake.completion_calls[0].body
    assert body["max_tokens"] == 700 and "max_completion_tokens" not in body
    settings = make_settings(None, api_key="sk-anything")
    config = settings.llm
    official = OpenAIBackend(
        OpenAIOptions(model="gpt-4o-mini"), endpoint(settings, "summary"), config, PromptSet.load()
    )
    assert official._params("json_schema")["max_completion_tokens"] == config.max_output_tokens
    assert "max_tokens" not in official._params("json_schema")


def test_a_reply_cut_off_at_max_tokens_gets_a_repair_turn_that_names_the_cause() -> None:
    paper = make_paper(1)
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False))
        fake.fail_next("length", 2)
        result = run(env, [paper])
        repair = fake.completion_calls[1].body["messages"]
    assert "cut off at max_output_tokens (1800): keep every field shorter" in repair[-1]["content"]
    assert [m["role"] for m in repair] == ["system", "user", "user"]  # the cut reply not quoted
    reason = result.failures[paper.id]
    assert "invalid JSON twice" in reason and "cut off" in reason


def test_prose_around_the_json_object_is_tolerated() -> None:
    paper = make_paper(1)
    with FakeOpenAI() as fake:
        env = Env.create(make_settings(fake, fulltext=False))
        good = (
            '{"tldr": "T.", "method": "M.", "results": "R.", "critiques": "C.", '
            '"implications": "I.", "significance": 6, "significance_reason": "S.", '
            '"keywords": ["graphs"]}'
        )
        fake.answer_next(f"Sure! Here is the summary:\n```json\n{good}\n```\nHope it helps.")
        result = run(env, [paper])
    assert result.records[paper.id].summary.significance == 6
    assert len(fake.completion_calls) == 1


def test_overflow_in_json_mode_counts_the_schema_in_the_prompt(
    fixture_server: FixtureServer,
) -> None:
    """The refit measures the prompt as sent, JSON-mode schema included: one overflow, not two."""
    fixture_server.route(
        "/pdf/long", Reply(body=make_many_page_pdf(60), content_type="application/pdf")
    )
    paper = make_paper(1, pdf_url=fixture_server.url("/pdf/long"))
    with FakeOpenAI(json_schema_support=False, context_tokens=2000) as fake:
        env = Env.create(make_settings(fake, fulltext_max_tokens=8000, max_output_tokens=256))
        result = run(env, [paper])
        calls = fake.completion_calls
    assert [c.status for c in calls] == [400, 400, 200]
    assert formats(fake) == ["json_schema", "json_object", "json_object"]
    assert result.records[paper.id].source_text == "full"
    # The refitted prompt leaves the reply its max_output_tokens within the context.
    assert tokens_for(calls[2].text()) + 256 <= 2000


def test_tighter_budget_fits_the_named_limit_or_halves() -> None:
    prompts = PromptSet.load()
    paper = make_paper(1)
    job = make_job(prompts, paper, "word " * 8000, "full", prompts.hash)  # ~10k tokens of text
    named = ContextOverflowError("x", limit=4096, prompt_tokens=12000)
    fitted = tighter_budget(10000, job, named, max_output_tokens=512)
    assert 0 < fitted < 4096 - 512
    unnamed = ContextOverflowError("x")
    assert tighter_budget(10000, job, unnamed, max_output_tokens=512) == 5000
    hopeless = ContextOverflowError("x", limit=1000, prompt_tokens=12000)
    assert tighter_budget(10000, job, hopeless, max_output_tokens=512) == 0


@pytest.mark.parametrize(
    ("message", "limit", "prompt"),
    [
        # llama-cpp-python's server (measured, see docs/llm-servers.md)
        (
            "This model's maximum context length is 2048 tokens. However, you requested 2300 "
            "tokens (2044 in the messages, 256 in the completion). Please reduce the length of "
            "the messages or completion.",
            2048,
            2044,
        ),
        # vLLM (documented wording)
        (
            "This model's maximum context length is 16384 tokens. However, you requested 8192 "
            "output tokens and your prompt contains at least 8193 input tokens, for a total of "
            "at least 16385 tokens.",
            16384,
            8193,
        ),
    ],
)
def test_overflow_messages_of_real_servers_are_understood(
    message: str, limit: int, prompt: int
) -> None:
    from papercast.llm.client import _OVERFLOW_LIMIT, _OVERFLOW_PROMPT, _first_int

    assert _first_int((_OVERFLOW_LIMIT,), message) == limit
    assert _first_int(_OVERFLOW_PROMPT, message) == prompt
