"""Answers through Slack's native streaming (chat.startStream / appendStream / stopStream):
the quote is streamed as soon as retrieval finds it, the checked answer's sources and buttons
arrive with the stop call, and the thread shows what the bot is doing
(assistant.threads.setStatus) meanwhile.

Whatever Slack refuses, the answer is not lost: a stream that cannot start (a workspace or
surface without streaming, a missing recipient) falls back to editing the placeholder
(SlackMessageSink); a stream that ends under it (streams live about five minutes, or the asker
pressed stop) is finished with chat.update on the streamed message. Once a stream starts, the
placeholder key names it: a task redelivered after its worker died replaces that half-written
message with its own stream, so the thread ends with one answer."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from faqbot.contracts import Answer, Reply, TaskResult
from faqbot.keys import PLACEHOLDER_TTL_S
from faqbot.settings import Settings
from workers.slack import blocks as ui
from workers.slack.message_sinks import SlackMessageSink, View, transient

log = logging.getLogger("faqbot.slack")


class SlackStreamSink(SlackMessageSink):
    def __init__(self, settings: Settings, reply: Reply, request_id: str, view: View = "answer"):
        super().__init__(settings, reply, request_id, view)
        self.thread_status = settings.slack_thread_status
        self.stream: tuple[str, str] | None = None  # (channel, ts) of the streamed message
        self.streamed = ""  # the markdown written so far
        self.native = True  # False once Slack refused to start a stream: the placeholder path
        self.open = False  # the stream takes appends

    # Where the stream goes: the placeholder's channel (a DM's real ID), in the question's
    # thread, or in a DM answered in place, under the question itself.

    def _thread(self) -> tuple[str, str | None]:
        channel, _ = self._message()
        return channel, self.reply.thread_ts or self.reply.question_ts

    def _recipient(self) -> dict:
        team = self.reply.team_id or self._team_of_token()
        return {"recipient_team_id": team, "recipient_user_id": self.reply.user_id}

    def _team_of_token(self) -> str | None:
        try:
            return self.client.auth_test().get("team_id")
        except SlackApiError:
            return None

    def status(self, state: str, sources: int = 0) -> None:
        """The thread's status line; best effort, and off for this answer once refused."""
        channel, thread_ts = self._thread()
        if not (self.thread_status and thread_ts):
            return
        text = ui.status_text(state, sources)
        try:
            self.client.assistant_threads_setStatus(
                channel_id=channel, thread_ts=thread_ts, status=text, loading_messages=[text]
            )
        except SlackApiError as exc:
            log.info("no thread status here (%s)", exc.response.get("error"))
            self.thread_status = False

    def started(self) -> None:
        super().started()
        self.status("searching")

    def text(self, partial: str) -> None:
        if not self.native:
            return super().text(partial)
        markdown = ui.stream_text(partial)
        if self.stream is None:
            if not self._start(markdown):
                super().text(partial)
            return
        if self.open and markdown.startswith(self.streamed) and markdown != self.streamed:
            self._append(markdown[len(self.streamed) :])

    def _start(self, markdown: str) -> bool:
        """Starts the stream with `markdown`; False (and the placeholder path from then on)
        when Slack will not stream here."""
        channel, thread_ts = self._thread()
        if not (thread_ts and self.reply.user_id):
            self.native = False
            return False
        try:
            started = self.client.chat_startStream(
                channel=channel,
                thread_ts=thread_ts,
                markdown_text=markdown,
                **self._recipient(),
            )
        except SlackApiError as exc:
            log.warning("Slack would not start a stream (%s); editing the placeholder instead",
                        exc.response.get("error"))  # fmt: skip
            self.native = False
            return False
        placeholder = self._where
        self.stream, self.streamed, self.open = (started["channel"], started["ts"]), markdown, True
        self._where = self.stream
        if self.reply.key:  # a redelivered task finds this message, not the deleted placeholder
            self.keys.put(self.reply.key, " ".join(self.stream), PLACEHOLDER_TTL_S)
        self._drop(placeholder)
        return True

    def _drop(self, placeholder: tuple[str, str] | None) -> None:
        """The placeholder goes once the streamed message carries the answer."""
        if placeholder is None:
            return
        try:
            self.client.chat_delete(channel=placeholder[0], ts=placeholder[1])
        except SlackApiError as exc:
            log.warning("could not delete the placeholder: %s", exc.response.get("error"))

    def _append(self, delta: str) -> None:
        channel, ts = self.stream
        try:
            self.client.chat_appendStream(channel=channel, ts=ts, markdown_text=delta)
            self.streamed += delta
        except SlackApiError as exc:  # ended under us: finished() rewrites the message
            log.info("stream %s closed (%s)", ts, exc.response.get("error"))
            self.open = False

    def finished(self, result: TaskResult) -> None:
        if not isinstance(result, Answer) or not self.native:
            return super().finished(result)
        markdown = ui.streamed_markdown(result)
        if self.stream is None and not self._start(markdown):
            return super().finished(result)
        if self.open and markdown.startswith(self.streamed) and markdown != self.streamed:
            self._append(markdown[len(self.streamed) :])
        channel, ts = self.stream
        tail = ui.answer_tail_blocks(result, self.request_id)
        fits = len(tail) <= ui.MESSAGE_BLOCKS  # else the rewrite below posts the overflow
        try:
            if self.open:
                self.client.chat_stopStream(channel=channel, ts=ts, blocks=tail if fits else None)
                self.open = False
                if self.streamed == markdown and fits:
                    return
        except SlackApiError as exc:
            retry = transient(exc)
            if retry:
                raise retry from exc
            if exc.response.get("error") not in STREAM_ENDED:
                raise
        # The stream ended early, or what was streamed (the quote) is not the final answer:
        # the streamed message is rewritten as the final answer (chat.update, as without
        # streaming: self._where is the streamed message).
        super().finished(result)

    def failed(self, error: str, reference: str) -> None:
        if self.stream is None:
            return super().failed(error, reference)
        if self.open:
            try:
                self.client.chat_stopStream(channel=self.stream[0], ts=self.stream[1])
            except SlackApiError:
                pass
        super().failed(error, reference)  # edits the streamed message (self._where)


# What Slack answers when a stream is over: its ~5-minute life ran out, or the asker stopped it.
STREAM_ENDED = frozenset({"message_not_in_streaming_state", "stopped_by_user"})
