"""Selection rules: keywords (word boundary, case-insensitive), categories, authors, types."""

from __future__ import annotations

from papercast.config import load_settings
from papercast.models import Author, Paper
from papercast.select import KeywordMatcher, Selector


def paper(title: str, abstract: str = "", **extra: object) -> Paper:
    return Paper(id="arxiv:2410.00001", source="arxiv", title=title, abstract=abstract, **extra)


def test_keywords_match_whole_words_case_insensitively() -> None:
    matcher = KeywordMatcher(["GAN", "language model", "robot*"])
    assert matcher.first_match("A new gan for faces") == "GAN"
    assert matcher.first_match("Organic chemistry") is None  # 'gan' inside a word
    assert matcher.first_match("Large Language-Model agents") == "language model"
    assert matcher.first_match("Robotics at scale") == "robot*"
    assert matcher.first_match("nothing here") is None
    assert not KeywordMatcher([" ", ""])


def test_exclude_rule_names_the_keyword() -> None:
    settings = load_settings(overrides={"select": {"exclude": ["quantum", "protein folding"]}})
    selector = Selector(settings)
    assert selector.check(paper("Quantum error correction")) == "exclude: quantum"
    assert selector.check(paper("Folding", "a protein folding model")) == "exclude: protein folding"
    assert selector.check(paper("Transformers")) is None


def test_include_requires_a_match_and_arxiv_rules_apply_to_arxiv_only() -> None:
    settings = load_settings(
        overrides={"arxiv": {"include": ["transformer"], "exclude": ["survey"]}}
    )
    selector = Selector(settings)
    assert selector.check(paper("A CNN paper")) == "include: no keyword matched"
    assert selector.check(paper("Transformer survey")) == "exclude: survey"
    feed_paper = Paper(id="feed:abc", source="feed", title="A survey of CNNs")
    assert selector.check(feed_paper) is None


def test_followed_authors_are_always_kept() -> None:
    settings = load_settings(
        overrides={"select": {"exclude": ["quantum"], "authors": ["Ada Lovelace"]}}
    )
    selector = Selector(settings)
    followed = paper("Quantum engines", authors=[Author(name="Ada  Lovelace")])
    assert selector.check(followed) is None


def test_category_and_author_exclusions_and_replacements() -> None:
    settings = load_settings(
        overrides={
            "select": {
                "exclude_categories": ["cs.CV"],
                "exclude_authors": ["Spam Bot"],
            }
        }
    )
    selector = Selector(settings)
    assert (
        selector.check(paper("x", categories=["cs.CV", "cs.LG"], primary_category="cs.CV"))
        == "category: cs.CV"
    )
    assert (
        selector.check(paper("x", categories=["cs.LG", "cs.CV"], primary_category="cs.LG")) is None
    )
    assert selector.check(paper("x", authors=[Author(name="Spam Bot")])) == "author: Spam Bot"
    assert selector.check(paper("x", announce_type="replace")) == "announce type: replace"
    only = Selector(load_settings(overrides={"select": {"include_categories": ["stat.ML"]}}))
    assert only.check(paper("x", categories=["cs.LG"])) == "category: not in include_categories"


def test_eighty_exclusions_like_the_reference_workflow() -> None:
    words = [f"topic{i}" for i in range(80)]
    selector = Selector(load_settings(overrides={"select": {"exclude": words}}))
    assert selector.check(paper("On TOPIC79 and more")) == "exclude: topic79"
    assert selector.check(paper("topic800 is different")) is None
