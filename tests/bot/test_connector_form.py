"""`/faq-admin add <url>` for a Git repository or a website: the form asks what the kind
needs, and its submission queues the source with how it is read and synced."""

from __future__ import annotations

import json

from pipelines.bench.slack_requests import view_submission
from tests.bot.test_admin_commands import ADMIN


def opened_form(running_bot, text: str) -> dict:
    response = running_bot.command("/faq-admin", text, user=ADMIN)
    assert response.status_code == 200 and not response.text.startswith(":warning:")
    [opened] = running_bot.standin.called("views.open")
    return opened.params["view"]


def submission(view: dict, user: str = ADMIN, channels=(), sync="24", **fields) -> dict:
    values = {key: {key: {"value": value}} for key, value in fields.items()}
    values["visibility"] = {"channels": {"selected_conversations": list(channels)}}
    values["sync"] = {"hours": {"selected_option": {"value": sync}}}
    payload = view_submission(user, "add_connector", values)
    payload["view"]["private_metadata"] = view["private_metadata"]
    return payload


def test_a_repository_url_opens_the_git_form_and_queues_it_with_branch_files_and_sync(
    running_bot,
):
    url = "https://github.com/acme/handbook"
    view = opened_form(running_bot, f"add <{url}> <#C0IT00001|it>")
    assert view["title"]["text"] == "Add a Git repository"
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert {"branch", "paths", "visibility", "sync"} <= blocks.keys()
    assert blocks["visibility"]["element"]["initial_conversations"] == ["C0IT00001"]
    assert running_bot.queued("ingest") == []  # nothing until the form is sent
    sent = submission(view, channels=["C0IT00001"], sync="6", branch="main", paths="docs/*.md")
    assert running_bot.interaction(sent).status_code == 200
    [job] = running_bot.queued("ingest")
    assert (job["target"], job["visibility"], job["added_by"]) == (url, ["C0IT00001"], ADMIN)
    assert job["spec"] == {
        "kind": "git",
        "branch": "main",
        "paths": "docs/*.md",
        "depth": None,
        "max_pages": None,
        "sync_hours": 6.0,
        "credential": None,
        "groups": None,
    }


def test_a_folder_url_opens_the_website_form_with_the_crawl_bounds(running_bot):
    view = opened_form(running_bot, "add https://intranet.example/it/")
    assert view["title"]["text"] == "Add a website"
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    settings = running_bot.services.settings
    assert blocks["depth"]["element"]["initial_value"] == str(settings.crawl_depth)
    assert json.loads(view["private_metadata"]) == {
        "kind": "website",
        "url": "https://intranet.example/it/",
    }
    running_bot.interaction(submission(view, depth="1", max_pages="50"))
    [job] = running_bot.queued("ingest")
    assert (job["spec"]["kind"], job["spec"]["depth"], job["spec"]["max_pages"]) == (
        "website",
        1,
        50,
    )
    assert job["visibility"] == ["public"]


def test_a_bound_out_of_range_is_shown_under_its_field(running_bot):
    view = opened_form(running_bot, "add https://intranet.example/it/")
    response = running_bot.interaction(submission(view, depth="50", max_pages="10"))
    body = response.json()
    assert body["response_action"] == "errors" and "depth" in body["errors"]
    assert running_bot.queued("ingest") == []


def test_only_an_admin_can_send_the_form(running_bot):
    view = opened_form(running_bot, "add https://intranet.example/it/")
    response = running_bot.interaction(submission(view, user="U0NOBODY1", depth="1"))
    assert "only for knowledge-base admins" in response.json()["errors"]["sync"]
    assert running_bot.queued("ingest") == []


def test_a_confluence_url_asks_for_a_credential_name_and_the_groups_to_map(running_bot):
    url = "https://acme.atlassian.net/wiki/spaces/HR/overview"
    view = opened_form(running_bot, f"add {url}")
    assert view["title"]["text"] == "Add from Confluence"
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert blocks["credential"]["optional"] is False and "groups" in blocks
    sent = submission(view, credential="confluence-hr", groups="hr-team=C0HR00001")
    running_bot.interaction(sent)
    [job] = running_bot.queued("ingest")
    assert (job["spec"]["kind"], job["spec"]["credential"]) == ("confluence", "confluence-hr")
    assert job["spec"]["groups"] == {"hr-team": ["C0HR00001"]}


def test_a_bad_group_mapping_or_credential_name_is_shown_under_its_field(running_bot):
    view = opened_form(running_bot, "add https://drive.google.com/drive/folders/1AbCdEfGhIjKlMn")
    body = running_bot.interaction(submission(view, credential="sa", groups="hr=general")).json()
    assert "'general' is not a Slack channel ID" in body["errors"]["groups"]
    body = running_bot.interaction(submission(view, credential="../../etc/passwd")).json()
    assert "credential" in body["errors"]
    assert running_bot.queued("ingest") == []
