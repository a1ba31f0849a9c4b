"""The Slack Web API stand-in, and settings whose workers talk to it."""

from __future__ import annotations

import pytest

from faqbot.settings import Settings
from pipelines.bench.slack_standin import TOKEN, SlackStandIn


@pytest.fixture
def slack():
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def slack_settings(settings, slack) -> Settings:
    return Settings(
        _env_file=None,
        **settings.model_dump() | {"slack_bot_token": TOKEN, "slack_api_url": slack.api_url},
    )
