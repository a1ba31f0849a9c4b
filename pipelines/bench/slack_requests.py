"""Requests as Slack sends them to the bot's HTTP endpoint, signed with the signing secret
(https://api.slack.com/authentication/verifying-requests-from-slack): for tests and for the
ack-latency benchmark."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlencode

from pipelines.bench.slack_standin import BOT_USER_ID, TEAM_ID

SECRET = "test-signing-secret"


def signed_headers(
    body: bytes,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def event_body(event: dict, event_id: str | None = None) -> bytes:
    envelope = {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }
    return json.dumps(envelope).encode()


def mention(
    text: str,
    *,
    channel: str = "C0GENERAL",
    user: str = "U0ASKER01",
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict:
    event = {
        "type": "app_mention",
        "user": user,
        "team": TEAM_ID,
        "channel": channel,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts or new_ts(),
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str,
    *,
    channel: str,
    user: str = "U0ASKER01",
    ts: str | None = None,
    channel_type: str = "channel",
    thread_ts: str | None = None,
) -> dict:
    event = {
        "type": "message",
        "user": user,
        "team": TEAM_ID,
        "channel": channel,
        "text": text,
        "ts": ts or new_ts(),
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def reaction(
    name: str, *, channel: str, ts: str, user: str = "U0ASKER01", added: bool = True
) -> dict:
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item_user": BOT_USER_ID,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": new_ts(),
    }


def command_body(
    command: str,
    text: str,
    *,
    user: str = "U0ASKER01",
    channel: str = "C0GENERAL",
    response_url: str = "",
) -> bytes:
    return urlencode(
        {
            "command": command,
            "text": text,
            "user_id": user,
            "user_name": "someone",
            "channel_id": channel,
            "team_id": TEAM_ID,
            "response_url": response_url,
            "trigger_id": f"{uuid.uuid4().int % 10**10}.trigger",
            "api_app_id": "A0TEST",
        }
    ).encode()


def view_submission(
    user: str, callback_id: str, values: dict, private_metadata: str | None = None
) -> dict:
    """The payload Slack sends when `user` submits the modal `callback_id` with `values`
    (its `view.state.values`)."""
    view = {"id": "V0TEST", "type": "modal", "callback_id": callback_id}
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    view["state"] = {"values": values}
    return {**_interaction("view_submission", user), "trigger_id": "1.t", "view": view}


def block_action(action_id: str, value: str, user: str, channel: str, response_url: str) -> dict:
    """The payload Slack sends when `user` presses the button `action_id` (carrying `value`)
    on a message in `channel`."""
    return {
        **_interaction("block_actions", user),
        "trigger_id": f"{uuid.uuid4().int % 10**9}.t",
        "container": {"type": "message", "channel_id": channel},
        "channel": {"id": channel},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "votes",
                "value": value,
                "type": "button",
                "action_ts": new_ts(),
            }
        ],
    }


def message_shortcut(
    callback_id: str, user: str, channel: str, message: dict, response_url: str
) -> dict:
    """The payload Slack sends when `user` picks the message shortcut `callback_id` on
    `message` (its ts, text, user and, for a reply, thread_ts) in `channel`."""
    return {
        **_interaction("message_action", user),
        "callback_id": callback_id,
        "trigger_id": f"{uuid.uuid4().int % 10**9}.t",
        "channel": {"id": channel, "name": "channel"},
        "message": message,
        "message_ts": message["ts"],
        "response_url": response_url,
    }


def _interaction(kind: str, user: str) -> dict:
    """What every interaction payload starts with."""
    return {
        "type": kind,
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0TEST",
        "token": "unused",
    }


def interaction_body(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


FORM = "application/x-www-form-urlencoded"


_counter = iter(range(1, 10**9))


def new_ts() -> str:
    """A message ts no other test run uses (Slack's are seconds.microseconds)."""
    return f"{int(time.time())}.{next(_counter) % 1_000_000:06d}"
