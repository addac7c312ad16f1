"""The grounding check's numbers (papercast/numbers.py): digits and numbers said in words, on
realistic summary and dialogue sentences, in English, German, French and a language text2num
does not read."""

from __future__ import annotations

import pytest

from papercast.numbers import claims_in, known_numbers, spelled_language, ungrounded


def test_an_invented_number_in_words_is_flagged_as_written_in_order_with_digits() -> None:
    source = "Our method improves accuracy by 8% on 300 papers and halves the latency."
    said = [
        "It improves accuracy by twelve percent on three hundred papers.",
        "That is a two-fold gain in speed, and 97% recall on top.",
    ]
    assert ungrounded(said, source, language="en") == ["twelve percent", "two-fold", "97%"]


def test_a_number_the_source_says_in_words_grounds_the_summary_s_digits() -> None:
    source = (
        "We evaluate on three datasets against twelve strong baselines and report "
        "ninety-five point three percent accuracy with two point five times less memory."
    )
    summary = ["Tested on 3 datasets against 12 baselines: 95.3% accuracy, 2.50 times less memory."]
    assert ungrounded(summary, source, language="en") == []
    # and in words on both sides
    said = ["Twelve baselines, ninety-five point three percent, two point five times less."]
    assert ungrounded(said, source, language="en") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "One of the methods, a transformer, ranks first on the benchmark.",
        "The second variant uses two encoders and one decoder; the third drops one of them.",
        "They make three contributions and test a one-shot and a zero-shot setting.",
        "Hundreds of papers use it, with thousands of tokens per prompt.",
        "A fourth of the answers change, the hosts say, and one is worse.",
        "The twelfth layer matters most, from the twentieth epoch on.",
    ],
)
def test_small_counts_a_and_ordinals_are_not_claims(sentence: str) -> None:
    """Counts below ten, "a"/"one", ordinals and a lone "hundreds": no warning, although the
    source (which names the parts without counting them) has none of these numbers."""
    source = "We propose a transformer with an encoder and a decoder. It tops the benchmark."
    assert claims_in(sentence, "en") == []
    assert ungrounded([sentence], source, language="en") == []


def test_a_small_number_is_a_claim_with_a_percent_word_or_fold() -> None:
    source = "Accuracy rises by 4% and the speedup is 3x."
    said = ["Accuracy rises by four percent, a three-fold speedup, not five per cent or sixfold."]
    assert ungrounded(said, source, language="en") == ["five per cent", "sixfold"]


def test_scales_decimals_and_years_compare_as_the_digits_do() -> None:
    source = (
        "We train 7 billion and 70M models in 2024, reaching 0.90 F1 and 1.3k tokens per second."
    )
    said = [
        "The seven billion parameter model, trained in twenty twenty-four, gets zero point nine "
        "F1 at one point three thousand tokens a second; the seventy million model too."
    ]
    assert ungrounded(said, source, language="en") == []
    assert ungrounded(["A thirteen billion model."], source, language="en") == ["thirteen billion"]
    # the "billion" after a number already read is its scale, not a second number
    assert [w for w, _ in claims_in("It has 1.3 billion, one point five billion.", "en")] == [
        "1.3",
        "one point five",
    ]


def test_german_words_are_read_and_the_english_paper_grounds_them() -> None:
    source = "Accuracy improves by twelve percent on three datasets (Table 2)."
    summary = [
        "Die Genauigkeit steigt um zwölf Prozent auf 3 Datensätzen.",
        "Eine Methode, der zweite Versuch und zwei Varianten: keine Zahlen.",
    ]
    assert ungrounded(summary, source, language="de-AT") == []
    invented = ["Die Genauigkeit steigt um dreiundzwanzig Prozent, ein zweifacher Gewinn."]
    assert ungrounded(invented, source, language="de") == ["dreiundzwanzig Prozent"]


def test_french_pour_cent_is_a_percent_not_a_hundred() -> None:
    assert claims_in("Une méthode gagne douze pour cent.", "fr") == [("douze pour cent", ["12"])]


def test_a_language_text2num_does_not_read_keeps_digits_only() -> None:
    """ja: numbers in words (Japanese or English) are not claims; digits still are."""
    source = "Accuracy improves by 90% on three datasets."
    summary = [
        "精度は十二パーセント向上し、twelve percent faster、97% の再現率、3 つのデータセット。"
    ]
    assert ungrounded(summary, source, language="ja") == ["97%"]
    assert spelled_language("ja") is None and spelled_language("zh-Hans") is None


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en", "en"), ("en-GB", "en"), ("de-AT", "de"), ("pt-BR", "pt"), ("nl", "nl"), ("ko", None)],
)
def test_language_tags_map_to_text2num_by_primary_subtag(tag: str, code: str | None) -> None:
    assert spelled_language(tag) == code


def test_the_source_is_read_in_english_and_in_the_issue_language() -> None:
    known = known_numbers("Wir nutzen drei Datensätze; we use twelve baselines.", "de")
    assert {"3", "12"} <= known
    assert "3" not in known_numbers("Wir nutzen drei Datensätze.", "ja")
    # a multiple, a year and a decimal comma in words
    said = "Ein zweifacher Gewinn, a twofold one, in twenty twenty-four: drei Komma fünf."
    assert {"2", "2024", "3.5"} <= known_numbers(said, "de")


def test_words_copied_from_the_source_are_grounded_however_text2num_groups_them() -> None:
    """A run of number words copied word for word is grounded even where the two readings
    group it differently; a word inside a longer number ("twenty" of "twenty-one") is not."""
    source = "Scores: zero ninety-nine, then two point five three hundred times."
    said = ["Zero ninety-nine, then two point five three hundred times."]
    assert ungrounded(said, source, language="en") == []
    assert ungrounded(["About twenty."], "About twenty-one.", language="en") == ["twenty"]
