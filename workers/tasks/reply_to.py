"""Which sink a task reports to, from the request's reply address."""

from __future__ import annotations

from faqbot.contracts import Reply
from faqbot.settings import Settings
from workers.sinks import NullSink, RedisListSink, ReplySink
from workers.slack.message_sinks import SlackMessageSink, SlackResponseUrlSink
from workers.slack.stream_sink import SlackStreamSink


def sink_for(
    reply: Reply, settings: Settings, *, request_id: str, view: str = "answer"
) -> ReplySink:
    """`view`: how a Slack reply renders the result ("answer", or "report" for admin jobs)."""
    if reply.kind == "none":
        return NullSink()
    if reply.kind == "redis" and settings.redis_url and reply.key:
        return RedisListSink(settings.redis_url, reply.key)
    if reply.kind == "slack" and reply.response_url:
        return SlackResponseUrlSink(reply, request_id, view)
    if reply.kind == "slack" and reply.channel:
        if view == "answer" and settings.slack_native_streaming:
            return SlackStreamSink(settings, reply, request_id, view)
        return SlackMessageSink(settings, reply, request_id, view)
    raise ValueError(f"reply {reply.kind!r}: not available in this process")
