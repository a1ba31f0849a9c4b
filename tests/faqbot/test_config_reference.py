"""docs/configuration.md is the settings object's own description, and stays so."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli import app
from faqbot.config_reference import GROUPS, reference_markdown
from faqbot.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_in_exactly_one_group():
    grouped = [name for _, names in GROUPS for name in names]
    assert sorted(grouped) == sorted(Settings.model_fields)


def test_every_setting_is_described():
    assert [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()] == []


def test_the_configuration_page_is_up_to_date():
    assert DOC.read_text() == reference_markdown(), (
        "docs/configuration.md is stale: run faqbot config reference > docs/configuration.md"
    )


def test_the_command_prints_the_page():
    result = CliRunner().invoke(app, ["config", "reference"])
    assert result.exit_code == 0
    assert "| `FAQBOT_REDIS_URL` |" in result.output
    assert result.output == reference_markdown()
