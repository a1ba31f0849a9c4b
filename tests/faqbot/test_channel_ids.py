"""One rule for what a Slack channel ID is, applied alike by the settings (visibility grants),
`faqbot ingest --visibility` and `/faq-admin` (they used to disagree on private channels and
DMs)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.admin.parsing import AdminInputError, visibility_args
from faqbot.settings import Settings
from faqbot.visibility import PUBLIC, parse_visibility


@pytest.mark.parametrize("channel", ["C0HELP001", "G0PRIVATE1"])
def test_public_and_private_channels_are_accepted_everywhere(channel):
    assert parse_visibility(channel) == [channel]
    assert visibility_args([f"<#{channel}|help>"]) == [channel]
    assert visibility_args([channel]) == [channel]
    grants = Settings(_env_file=None, visibility_grants={"U0BOSS001": [channel]})
    assert grants.visibility_grants == {"U0BOSS001": [channel]}


@pytest.mark.parametrize("label", ["D0DIRECT01", "general", "c0help001", "C0-HELP"])
def test_anything_else_is_refused_everywhere(label):
    with pytest.raises(ValueError, match="is not a Slack channel ID"):
        parse_visibility(label)
    with pytest.raises(AdminInputError, match="is not a channel"):
        visibility_args([label])
    with pytest.raises(ValidationError, match="is not a Slack channel ID"):
        Settings(_env_file=None, visibility_grants={"U0BOSS001": [label]})


def test_public_and_a_word_too_short_for_an_id():
    assert parse_visibility(" Public ") == [PUBLIC] == visibility_args(["public"])
    with pytest.raises(AdminInputError):
        visibility_args(["CGI"])  # a word, not an ID
