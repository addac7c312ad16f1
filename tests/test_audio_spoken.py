"""Text for the ear: what the voice is given to read."""

from __future__ import annotations

import re
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papercast.audio.spoken import chunk_text, join, split_sentences, to_spoken, word_count


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("See https://arxiv.org/abs/2410.06205 for details.", "See for details."),
        ("Code at [the repo](https://github.com/x/y).", "Code at the repo."),
        ("We use **RoPE** and `p-RoPE`.", "We use rope and p-rope."),
        ("Models, e.g. BERT, work.", "Models, for example, bert, work."),
        ("Smith et al. show it.", "Smith and colleagues show it."),
        ("Ours vs. theirs", "Ours versus theirs."),
        ("That is, i.e. it works", "That is, that is, it works."),
        ("LLMs on GPUs beat RNNs.", "L L Ms on G P Us beat R N Ns."),
        ("A 12% gain", "A 12 percent gain."),
        ("It is 3.5x faster", "It is 3.5 times faster."),
        ("90 GB of text and 30 TB more", "90 gigabytes of text and 30 terabytes more."),
        ("Gemma 7B and a 1.2B model", "Gemma 7 billion and a 1.2 billion model."),
        ("It took 10-20 steps", "It took 10 to 20 steps."),
        ("1,000,000 tokens", "1000000 tokens."),
        ("With $\\alpha \\leq 0.5$ only", "With alpha at most 0.5 only."),
        ("Prior work [12] and [3, 4] too", "Prior work and too."),
        ("Attention (Vaswani et al., 2017) is all", "Attention is all."),
        ("input/output pairs", "input or output pairs."),
        ("<b>Bold</b> text", "Bold text."),
        (
            "Round We Go! What makes it useful?. By Ada.",
            "Round We Go! What makes it useful? By Ada.",
        ),
        ("It ends here.. and goes on... yes", "It ends here. and goes on... yes."),
    ],
)
def test_written_text_is_turned_into_words_a_voice_says(written: str, spoken: str) -> None:
    assert to_spoken(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [  # read as a page would show it (issue 12, item 9): no entity names, markup or tables
        ("Tom &amp; Jerry&#39;s &quot;show&quot; now", 'Tom and Jerry\'s "show" now.'),
        ("&lt;b&gt;Bold&lt;/b&gt; claims", "Bold claims."),
        ("Safe <script>alert(1)</script> text <style>p{}</style>", "Safe text."),
        ("| model | acc |\n|---|:---:|\n| A | 90% |", "model, acc, A, 90 percent."),
        ("Results\n+------+------+\nend", "Results end."),
        ("It was ~~wrong~~ ==right==.", "It was wrong right."),
        ("Cost\u00a0&mdash; low\ufffe \u202eok", "Cost, low ok."),
    ],
)
def test_text_is_spoken_as_a_reader_sees_it(written: str, spoken: str) -> None:
    assert to_spoken(written) == spoken


def test_markdown_lines_become_sentences() -> None:
    spoken = to_spoken("# Results\n- faster training\n- less memory\nThat is all")
    assert spoken == "Results. faster training. less memory. That is all."


def test_dates_are_not_read_as_ranges() -> None:
    assert "2024-06-15" in to_spoken("Released on 2024-06-15 by them.")


def test_no_url_survives() -> None:
    text = "Visit www.example.org/page or http://x.io/a?b=c, then https://arxiv.org/pdf/1.pdf."
    assert not re.search(r"https?:|www\.|\.org|\.io", to_spoken(text))


def test_long_section_is_chunked_at_sentences_without_losing_anything() -> None:
    sentences = [f"Sentence number {i} says something about attention heads." for i in range(200)]
    text = " ".join(sentences)
    assert len(text) > 10_000
    chunks = chunk_text(text, 4096)
    assert len(chunks) >= 3
    assert all(len(c) <= 4096 for c in chunks)
    assert " ".join(chunks) == text
    # every chunk ends at a sentence end
    assert all(c.endswith(".") for c in chunks)


def test_a_sentence_longer_than_the_limit_is_split_at_commas_or_spaces() -> None:
    sentence = ", ".join(f"clause {i} of a very long sentence" for i in range(40)) + "."
    chunks = chunk_text(sentence, 200)
    assert all(len(c) <= 200 for c in chunks)
    assert " ".join(chunks).split() == sentence.split()


def test_split_sentences() -> None:
    assert split_sentences("One. Two! Three? 4 is a number.") == [
        "One.",
        "Two!",
        "Three?",
        "4 is a number.",
    ]


JAPANESE = (
    "疎な注意機構によりメモリ使用量が半減する。著者らはブロック単位の注意機構でモデルを学習し、"
    "長い文脈でも精度を保つ！精度はベースラインより3ポイント向上するのか？"
    "「本当に良い結果だ」と彼は言った。評価は一つのデータセットのみである。"
)


def test_japanese_is_cut_at_its_full_stops_and_rejoined_without_spaces() -> None:
    assert split_sentences(JAPANESE) == [
        "疎な注意機構によりメモリ使用量が半減する。",
        "著者らはブロック単位の注意機構でモデルを学習し、長い文脈でも精度を保つ！",
        "精度はベースラインより3ポイント向上するのか？",
        "「本当に良い結果だ」と彼は言った。",
        "評価は一つのデータセットのみである。",
    ]
    text = JAPANESE * 8
    chunks = chunk_text(text, 200)
    assert len(chunks) >= 3 and all(len(c) <= 200 for c in chunks)
    assert all(c.endswith(("。", "！", "？")) for c in chunks), "whole sentences"
    assert reduce(join, chunks) == text, "no space put in, nothing lost"
    # a sentence longer than the limit is cut at its commas (、) before anywhere else
    long = "、".join(f"{n}番目の長い節が続く" for n in range(40)) + "。"
    pieces = chunk_text(long, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith(("、", "。")) for p in pieces)
    assert "".join(pieces) == long


def test_korean_sentences_end_at_a_full_stop_and_a_space() -> None:
    text = "메모리 사용량이 절반으로 줄었다. 정확도는 3포인트 향상된다. Next comes English."
    assert split_sentences(text) == [
        "메모리 사용량이 절반으로 줄었다.",
        "정확도는 3포인트 향상된다.",
        "Next comes English.",
    ]
    assert reduce(join, split_sentences(text)) == text


def test_a_spoken_paragraph_ends_with_its_own_language_s_full_stop() -> None:
    assert to_spoken("精度は3ポイント向上する", english=False) == "精度は3ポイント向上する。"
    assert to_spoken("精度は3ポイント向上する。", english=False) == "精度は3ポイント向上する。"
    assert to_spoken("정확도가 향상된다", english=False) == "정확도가 향상된다."
    assert to_spoken("Accuracy improves", english=False) == "Accuracy improves."


def test_words_are_counted_as_speaking_time_counts_them() -> None:
    # English: words; Chinese, Japanese, Korean: two letters make a word (about 300 a minute
    # against 150 English words), punctuation is no word; mixed text adds up
    assert word_count("The model halves memory use.") == 5
    assert word_count("疎な注意機構によりメモリ使用量が半減する。") == 10
    assert word_count("GPT-4は85.3%の精度") == 2 + 2
    assert word_count("메모리 사용량이") == 4, "Hangul syllables count like kana: 7 make 4"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000))
def test_chunking_never_drops_words(text: str) -> None:
    spoken = to_spoken(text)
    chunks = chunk_text(spoken, 300)
    assert all(len(c) <= 300 for c in chunks)
    # every character is kept, in order (a cut may fall where the text has no space: after
    # a Chinese or Japanese full stop, or inside a word longer than the limit)
    assert "".join("".join(chunks).split()) == "".join(spoken.split())
