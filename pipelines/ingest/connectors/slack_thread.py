"""A Slack thread an admin added with the "Add to knowledge base" shortcut: the question and
its replies as one document, each message under its author (a Slack mention, which Slack shows
as a link to the person), cited by the thread's permalink and visible in its own channel.

The marker is the thread's last reply and last edit, so a sync embeds the thread again only
when someone replied or edited a message.
"""

from __future__ import annotations

import datetime as dt

from faqbot.errors import first_line
from faqbot.settings import Settings
from faqbot.source_kinds import parse_thread_target
from pipelines.ingest.connectors.base import ReadDocument, RemoteDocument, Unrestricted
from pipelines.ingest.documents import ItemError

PAGE = 200  # messages per conversations.replies call
MAX_MESSAGES = 2000
TITLE_CHARS = 80


class SlackThreadConnector(Unrestricted):
    kind = "slack-thread"

    def __init__(self, target: str, settings: Settings):
        try:
            self.channel, self.thread_ts = parse_thread_target(target)
        except ValueError as exc:
            raise ItemError(str(exc)) from exc
        self.root, self.settings = target, settings
        self._messages: list[dict] = []

    def documents(self) -> list[RemoteDocument]:
        self._messages = self._replies()
        if not self._messages:
            raise ItemError("the thread has no messages")
        last = max(_changed_at(message) for message in self._messages)
        marker = f"thread:{len(self._messages)}:{last}"
        link = self._permalink()
        return [RemoteDocument(self.thread_ts, self.root, marker=marker, url=link)]

    def read(self, document: RemoteDocument) -> ReadDocument:
        first = " ".join((self._messages[0].get("text") or "Slack thread").split())
        title = first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"
        lines = [f"# {title}", ""]
        for message in self._messages:
            when = dt.datetime.fromtimestamp(float(message["ts"]), dt.UTC).strftime("%Y-%m-%d")
            author = f"<@{message['user']}>" if message.get("user") else "a bot"
            lines += [f"{author} ({when}):", "", (message.get("text") or "").strip(), ""]
        return ReadDocument("\n".join(lines).encode(), ".md")

    def _client(self):
        from faqbot.slack import web_client

        if not self.settings.slack_bot_token:
            raise ItemError("FAQBOT_SLACK_BOT_TOKEN is not set on this worker")
        return web_client(self.settings)

    def _replies(self) -> list[dict]:
        from slack_sdk.errors import SlackApiError

        client, messages, cursor = self._client(), [], None
        try:
            while len(messages) < MAX_MESSAGES:
                page = client.conversations_replies(
                    channel=self.channel, ts=self.thread_ts, limit=PAGE, cursor=cursor
                )
                messages += page.get("messages", [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            raise ItemError(f"Slack refused conversations.replies ({_error(exc)})") from exc
        except Exception as exc:
            raise ItemError(f"could not reach Slack ({first_line(exc)})") from exc
        return [m for m in messages if m.get("subtype") not in ("bot_message", "tombstone")]

    def _permalink(self) -> str | None:
        from slack_sdk.errors import SlackApiError

        try:
            reply = self._client().chat_getPermalink(
                channel=self.channel, message_ts=self.thread_ts
            )
        except SlackApiError:
            return None  # the thread is still indexed; it is cited without a link
        return reply.get("permalink")


def _changed_at(message: dict) -> str:
    edited = (message.get("edited") or {}).get("ts")
    return max(message["ts"], edited or "", key=lambda ts: float(ts or 0))


def _error(exc) -> str:
    response = getattr(exc, "response", None)
    return (response.get("error") if response is not None else None) or first_line(exc)
