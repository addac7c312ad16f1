"""Configuration: TOML + environment, unknown keys and wrong types are errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercast.config import load_settings, openai_api_key
from papercast.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings()
    assert settings.arxiv.categories == ["cs.LG", "cs.CL", "cs.AI"]
    assert settings.arxiv.delay_seconds == 3.0
    assert settings.llm.max_concurrency == 8
    assert settings.config_file is None


def test_file_in_working_directory_is_found(tmp_path: Path) -> None:
    write(Path("papercast.toml"), '[arxiv]\ncategories = ["stat.ML"]\n')
    settings = load_settings()
    assert settings.arxiv.categories == ["stat.ML"]
    assert settings.config_file == Path.cwd() / "papercast.toml"


def test_environment_overrides_file_and_lists_are_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path / "c.toml", '[arxiv]\ncategories = ["stat.ML"]\ndelay_seconds = 5\n')
    monkeypatch.setenv("PAPERCAST_ARXIV__CATEGORIES", '["cs.LG", "cs.CL"]')
    monkeypatch.setenv("PAPERCAST_ARXIV__API_URL", "http://127.0.0.1:9/api/query")
    monkeypatch.setenv("PAPERCAST_BIORXIV__API_URL", "http://127.0.0.1:9")
    settings = load_settings(path)
    assert settings.arxiv.categories == ["cs.LG", "cs.CL"]
    assert settings.arxiv.delay_seconds == 5
    assert settings.arxiv.api_url == "http://127.0.0.1:9/api/query"
    assert settings.biorxiv.api_url == "http://127.0.0.1:9"


def test_unknown_key_in_file_names_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[arxiv]\ncategoriez = ["cs.LG"]\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "unknown key 'arxiv.categoriez'" in str(info.value)
    assert str(path) in str(info.value)


def test_unknown_section_and_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[arxv]\nx = 1\n[llm]\nmax_concurrency = "many"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert "unknown key 'arxv'" in message
    assert "'llm.max_concurrency'" in message and "integer" in message


def test_unknown_environment_setting_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERCAST_ARXIV__DELAY", "1")
    with pytest.raises(ConfigError, match="PAPERCAST_ARXIV__DELAY"):
        load_settings()
    monkeypatch.delenv("PAPERCAST_ARXIV__DELAY")
    monkeypatch.setenv("PAPERCAST_ARXIVV__DELAY_SECONDS", "1")
    with pytest.raises(ConfigError, match="PAPERCAST_ARXIVV__DELAY_SECONDS"):
        load_settings()


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path / "bad.toml", "[arxiv\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    path = write(tmp_path / "cfg" / "papercast.toml", '[publish]\nout_dir = "out"\n')
    assert load_settings(path).publish.out_dir == tmp_path / "cfg" / "out"


def test_a_path_from_the_home_folder_is_not_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    path = write(tmp_path / "papercast.toml", '[publish]\nnotes_dir = "~/Obsidian/Papers"\n')
    assert load_settings(path).publish.notes_dir == tmp_path / "me" / "Obsidian" / "Papers"


def test_api_key_from_environment_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SENTINEL-123456")
    settings = load_settings()
    assert openai_api_key(settings) == "sk-test-SENTINEL-123456"
    assert "SENTINEL" not in settings.model_dump_json()
    monkeypatch.setenv("PAPERCAST_EMAIL__PASSWORD", "hunter2-SENTINEL")
    settings = load_settings()
    assert "SENTINEL" not in repr(settings) and "SENTINEL" not in settings.model_dump_json()


def test_starter_config_is_valid(tmp_path: Path) -> None:
    from papercast.resources import starter_config

    path = write(tmp_path / "papercast.toml", starter_config().read_text(encoding="utf-8"))
    assert load_settings(path).arxiv.categories == ["cs.LG", "cs.CL", "cs.AI"]
