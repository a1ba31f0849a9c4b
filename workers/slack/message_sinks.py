"""Reply sinks that write to Slack: a message the task edits in place (answers in threads and
DMs, ingestion reports in the admin's DM) and a slash command's response URL (/ask)."""

from __future__ import annotations

import logging
import time
from typing import Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from faqbot.contracts import Answer, Reply, TaskResult
from faqbot.errors import TransientError
from faqbot.keys import PLACEHOLDER_TTL_S
from faqbot.settings import Settings
from faqbot.shared_state import shared_keys
from faqbot.slack import apology_text, escape, web_client
from workers.sinks import NullSink
from workers.slack import blocks as ui

log = logging.getLogger("faqbot.slack")
PLACEHOLDER_WAIT_S = 5.0
View = Literal["answer", "report"]


def rendered(result: TaskResult, request_id: str) -> tuple[str, list[dict]]:
    """The fallback text (notifications, screen readers) and the blocks of a final result."""
    if isinstance(result, Answer):
        return escape(result.answer[:3000]), ui.answer_blocks(result, request_id)
    text = ui.report_text(result)
    return text, [ui.section(piece) for piece in ui.split_text(text)]


def shown_reason(view: View, error: str, reference: str) -> str | None:
    """An admin's job report says what went wrong; an asker is told only the reference."""
    if view == "report":
        return error
    log.error("answer %s failed: %s", reference, error)
    return None


def transient(exc: SlackApiError) -> TransientError | None:
    """Rate limits and Slack's own outages are worth a retry; a missing channel is not."""
    status = exc.response.status_code
    if status == 429 or status >= 500:
        retry_after = exc.response.headers.get("retry-after") or exc.response.headers.get(
            "Retry-After"
        )
        return TransientError(
            f"Slack answered {status}", retry_after=float(retry_after) if retry_after else None
        )
    return None


class SlackMessageSink:
    """Edits the placeholder the bot posted; posts one itself if the bot's never shows up (the
    bot died between enqueueing and posting), so the asker always gets a reply."""

    def __init__(self, settings: Settings, reply: Reply, request_id: str, view: View):
        self.client, self.keys = web_client(settings), shared_keys(settings)
        self.reply, self.request_id, self.view = reply, request_id, view
        self._where: tuple[str, str] | None = None

    def location(self) -> tuple[str, str] | None:
        return self._where

    def _message(self) -> tuple[str, str]:
        if self._where is None:
            self._where = self._placeholder() or self._own_placeholder()
        return self._where

    def _placeholder(self, wait_s: float | None = None) -> tuple[str, str] | None:
        """The bot's placeholder, waiting up to PLACEHOLDER_WAIT_S (read now, not at import)."""
        deadline = time.monotonic() + (PLACEHOLDER_WAIT_S if wait_s is None else wait_s)
        while True:
            value = self.keys.get(self.reply.key) if self.reply.key else None
            if value or time.monotonic() >= deadline:
                return tuple(value.split(" ", 1)) if value else None
            time.sleep(0.1)

    def _own_placeholder(self) -> tuple[str, str]:
        posted = self.client.chat_postMessage(
            channel=self.reply.channel, text="Working on it…", thread_ts=self.reply.thread_ts
        )
        mine = f"{posted['channel']} {posted['ts']}"
        if not self.reply.key or self.keys.claim(self.reply.key, mine, PLACEHOLDER_TTL_S):
            return posted["channel"], posted["ts"]
        self.client.chat_delete(channel=posted["channel"], ts=posted["ts"])  # the bot's came
        return self._placeholder(wait_s=0)

    def _update(self, text: str, blocks: list[dict] | None = None) -> None:
        channel, ts = self._message()
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks or [])

    def _update_quietly(self, text: str, blocks: list[dict] | None = None) -> None:
        """Streaming and progress edits are best effort: a failed one must not fail the task."""
        try:
            self._update(text, blocks)
        except SlackApiError as exc:
            log.warning("Slack edit failed (%s); carrying on", exc.response.get("error"))

    def started(self) -> None:
        self._message()

    def status(self, state: str, sources: int = 0) -> None:
        """Nothing to edit: the placeholder already says "Searching the knowledge base…", the
        quote replaces it milliseconds after "reading", and the quote's own line says it is
        being written. An edit per step would spend chat.update's per-workspace limit."""

    def text(self, partial: str) -> None:
        self._update_quietly(escape(partial[:3000]) or "…", ui.streaming_blocks(partial))

    def progress(self, phase: str, done: int, total: int) -> None:
        self._update_quietly(ui.progress_text(phase, done, total))

    def finished(self, result: TaskResult) -> None:
        text, blocks = rendered(result, self.request_id)
        first, *rest = ui.split_messages(blocks)
        try:
            self._update(text, first)
            channel, ts = self._message()
            for more in rest:
                self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=self.reply.thread_ts or ts,
                    text=text[:200],
                    blocks=more,
                )
        except SlackApiError as exc:
            retry = transient(exc)
            if retry:
                raise retry from exc
            raise

    def failed(self, error: str, reference: str) -> None:
        self._update(apology_text(shown_reason(self.view, error, reference), reference))


class SlackResponseUrlSink(NullSink):
    """/ask answers are ephemeral: only the response URL can replace them, at most five times,
    so only the final answer (or the apology) is sent; progress is not."""

    def __init__(self, reply: Reply, request_id: str, view: View):
        self.webhook, self.request_id, self.view = (
            WebhookClient(reply.response_url),
            request_id,
            view,
        )

    def _send(self, text: str, blocks: list[dict], replace: bool = True) -> None:
        response = self.webhook.send(
            text=text, blocks=blocks, replace_original=replace, response_type="ephemeral"
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"Slack answered {response.status_code} on the response URL")
        if response.status_code >= 400:
            raise RuntimeError(f"Slack refused the reply: {response.status_code} {response.body}")

    def finished(self, result: TaskResult) -> None:
        text, blocks = rendered(result, self.request_id)
        first, *rest = ui.split_messages(blocks)
        self._send(text, first)
        for more in rest:
            self._send(text[:200], more, replace=False)

    def failed(self, error: str, reference: str) -> None:
        self._send(apology_text(shown_reason(self.view, error, reference), reference), [])
