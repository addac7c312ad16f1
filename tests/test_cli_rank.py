"""`papercast rank --history FILE --candidates FILE [--out FILE]`: the contract scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercast.cli import app

runner = CliRunner()

HISTORY_CSV = (
    "title,abstract,url,picked\n"
    "Scaling MLPs,multi-layer perceptrons at scale,https://arxiv.org/abs/2306.13575,1\n"
    "MLP-Mixer,token-mixing and channel-mixing MLP layers,,1\n"
    "Mamba,selective state space sequence models,,0\n"
    "Scaling laws,power laws of language model loss in compute,,0\n"
)
CANDIDATES_JSONL = (
    '{"id": "2410.00001", "title": "Hyena", "abstract": "long convolutions for sequence models"}\n'
    '{"url": "https://example.org/p/2", "title": "gMLP", "abstract": "gated MLP layers"}\n'
    '{"id": "custom-3", "url": "https://example.org/p/3", "title": "KAN",'
    ' "abstract": "learnable activations instead of MLP weights"}\n'
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_contract_stdout_jsonl_best_first_ids_as_given(tmp_path: Path) -> None:
    history = write(tmp_path, "history.csv", HISTORY_CSV)
    candidates = write(tmp_path, "candidates.jsonl", CANDIDATES_JSONL)
    result = runner.invoke(
        app, ["rank", "--history", str(history), "--candidates", str(candidates)]
    )
    assert result.exit_code == 0, result.output
    rows = lines(result.stdout)
    assert [set(r) for r in rows] == [{"id", "score"}] * 3
    assert {r["id"] for r in rows} == {"2410.00001", "https://example.org/p/2", "custom-3"}
    assert rows[-1]["id"] == "2410.00001"  # the sequence-model paper goes last
    scores = [float(r["score"]) for r in rows]  # type: ignore[arg-type]
    assert scores == sorted(scores, reverse=True)
    again = runner.invoke(app, ["rank", "--history", str(history), "--candidates", str(candidates)])
    assert again.stdout == result.stdout  # deterministic


def test_contract_out_file_jsonl_history_csv_candidates(tmp_path: Path) -> None:
    history = write(
        tmp_path,
        "history.jsonl",
        "\n".join(
            json.dumps({"title": t, "abstract": a, "picked": p})
            for t, a, p in [
                ("Mamba", "selective state space sequence models", 1),
                ("S4", "structured state space sequence layers", 1),
                ("MLP-Mixer", "token-mixing MLP layers", 0),
            ]
        ),
    )
    candidates = write(
        tmp_path,
        "week.csv",
        "id,title,abstract\nA,gMLP,gated MLP layers\nB,Hyena,long convolutions for sequence "
        "models replacing state space layers\n",
    )
    out = tmp_path / "out" / "ranked.jsonl"
    result = runner.invoke(
        app,
        ["rank", "--history", str(history), "--candidates", str(candidates), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert [r["id"] for r in lines(out.read_text(encoding="utf-8"))] == ["B", "A"]


def test_why_flag_adds_reasons(tmp_path: Path) -> None:
    history = write(tmp_path, "history.csv", HISTORY_CSV)
    candidates = write(tmp_path, "candidates.jsonl", CANDIDATES_JSONL)
    result = runner.invoke(
        app, ["rank", "--history", str(history), "--candidates", str(candidates), "--why"]
    )
    rows = lines(result.stdout)
    assert all(set(r) == {"id", "score", "why"} for r in rows)
    assert "like your pick" in str(rows[0]["why"])


def test_without_history_uses_the_stored_profile(tmp_path: Path) -> None:
    candidates = write(tmp_path, "candidates.jsonl", CANDIDATES_JSONL)
    cold = runner.invoke(app, ["rank", "--candidates", str(candidates), "--why"])
    assert cold.exit_code == 0, cold.output
    assert all(str(r["why"]).startswith("cold start") for r in lines(cold.stdout))
    assert [r["id"] for r in lines(cold.stdout)] == [
        "2410.00001",
        "https://example.org/p/2",
        "custom-3",
    ]  # no dates: input order
    imported = runner.invoke(app, ["history", "import", str(write(tmp_path, "h.csv", HISTORY_CSV))])
    assert imported.exit_code == 0, imported.output
    warm = runner.invoke(app, ["rank", "--candidates", str(candidates), "--why"])
    rows = lines(warm.stdout)
    assert rows[-1]["id"] == "2410.00001"
    assert not str(rows[0]["why"]).startswith("cold start")


def test_interests_from_config_drive_a_cold_start(tmp_path: Path) -> None:
    write(tmp_path / "work", "papercast.toml", '[rank]\ninterests = "long convolutions"\n')
    candidates = write(tmp_path, "candidates.jsonl", CANDIDATES_JSONL)
    result = runner.invoke(app, ["rank", "--candidates", str(candidates)])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[0]["id"] == "2410.00001"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("c.jsonl", '{"id": "a", "title": "A"}\n{"title": "B"}\n', "line 2: a candidate needs"),
        ("c.csv", "id,title\na,A\nb,\n", "line 3: candidate 'b' has no title"),
        ("c.bib", "@misc{x, title={A}}\n", "candidates must be a .csv or .jsonl file"),
    ],
)
def test_bad_candidates_fail_clearly_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, message: str
) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    history = write(tmp_path, "history.csv", HISTORY_CSV)
    candidates = write(tmp_path, name, text)
    out = tmp_path / "ranked.jsonl"
    result = runner.invoke(
        app,
        ["rank", "--history", str(history), "--candidates", str(candidates), "--out", str(out)],
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_bad_history_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERCAST_RAISE_ERRORS")
    history = write(tmp_path, "history.csv", "title,picked\nA,1\nB,yes please\n")
    candidates = write(tmp_path, "candidates.jsonl", CANDIDATES_JSONL)
    result = runner.invoke(
        app, ["rank", "--history", str(history), "--candidates", str(candidates)]
    )
    assert result.exit_code == 2
    assert "history.csv, line 3: 'picked' must be 1 or 0" in " ".join(result.output.split())


def test_help_has_an_example() -> None:
    for command in (["rank"], ["history", "import"], ["history", "list"], ["history", "clear"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Example: papercast " in result.stdout


def test_ids_come_back_exactly_as_given(tmp_path: Path) -> None:
    history = write(tmp_path, "history.csv", HISTORY_CSV)
    candidates = write(
        tmp_path,
        "c.jsonl",
        '{"id": 17, "title": "gMLP", "abstract": "gated MLP layers"}\n'
        '{"id": "arXiv:2410.00001v2", "title": "Hyena"}\n'
        '{"id": "", "url": "https://example.org/x?a=1&b=2", "title": "KAN"}\n',
    )
    result = runner.invoke(
        app, ["rank", "--history", str(history), "--candidates", str(candidates)]
    )
    assert result.exit_code == 0, result.output
    assert {json.dumps(r["id"]) for r in lines(result.stdout)} == {
        "17",
        '"arXiv:2410.00001v2"',
        '"https://example.org/x?a=1&b=2"',
    }
