"""Settings come from FAQBOT_* variables when read, each documented."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from faqbot.settings import Settings, load_settings


def test_every_setting_has_a_description():
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []


def test_environment_is_read_when_settings_are_loaded_not_at_import(monkeypatch, tmp_path):
    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FAQBOT_TOP_K", "7")
    settings = load_settings()
    assert settings.data_dir == tmp_path and settings.top_k == 7
    assert settings.lancedb_dir == tmp_path / "lancedb"


def test_a_bad_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("FAQBOT_HYBRID_ALPHA", "1.5")
    with pytest.raises(ValidationError, match="hybrid_alpha"):
        load_settings()


def test_lists_are_comma_separated_in_the_environment(monkeypatch):
    monkeypatch.setenv("FAQBOT_ADMIN_USER_IDS", "U01ABC, U02DEF")
    monkeypatch.setenv("FAQBOT_VOTE_UP_REACTIONS", ":+1:,heart")
    settings = Settings(_env_file=None)
    assert settings.admin_user_ids == ["U01ABC", "U02DEF"]
    assert settings.vote_up_reactions == ["+1", "heart"]
    assert settings.vote_down_reactions == ["-1", "x"]


@pytest.mark.parametrize("name", ["FAQBOT_RETRAIN_SCHEDULE", "FAQBOT_REPORT_SCHEDULE"])
def test_a_schedule_that_is_not_a_crontab_line_names_the_setting(monkeypatch, name):
    monkeypatch.setenv(name, "every monday")
    with pytest.raises(ValidationError, match=f"(?s){name.removeprefix('FAQBOT_').lower()}.*five"):
        load_settings()
    monkeypatch.setenv(name, "")
    assert getattr(load_settings(), name.removeprefix("FAQBOT_").lower()) == ""
