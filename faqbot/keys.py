"""Every Redis key faqbot uses, in one place: the bot, the workers and the benchmarks share
these names, and one prefix keeps them apart from anything else in the same Redis database."""

from __future__ import annotations

PREFIX = "faqbot:"

# The Slack event inbox (bot/inbox.py): a reliable queue with one processing list per consumer
# and a liveness key for each, so a dead consumer's events are put back.
INBOX = f"{PREFIX}slack:inbox"
INBOX_PROCESSING = f"{PREFIX}slack:inbox:processing:"  # + consumer
INBOX_ALIVE = f"{PREFIX}slack:inbox:alive:"  # + consumer


def seen(channel: str, ts: str) -> str:
    """Set once a Slack message has been taken as a question (Slack retries events)."""
    return f"{PREFIX}slack:seen:{channel}:{ts}"


def thread(channel: str, thread_ts: str) -> str:
    """Marks a thread the bot answered in, so follow-ups there are questions too."""
    return f"{PREFIX}slack:thread:{channel}:{thread_ts}"


# How long the bot and the worker remember a request's placeholder message: whichever of them
# claims the key first posts it, and the other edits it.
PLACEHOLDER_TTL_S = 24 * 3600


def placeholder(request_id: str) -> str:
    """The "Searching…" message posted for a request, which the worker edits into the answer."""
    return f"{PREFIX}slack:placeholder:{request_id}"


def retry_after(method: str, channel: str | None = None) -> str:
    """Until when Slack asked us to stop calling `method` (in `channel`, where it is per
    channel)."""
    return f"{PREFIX}slack:retry-after:{method}" + (f":{channel}" if channel else "")


def question_rate(sender: str) -> str:
    return f"{PREFIX}rate:questions:{sender}"


def rate_notice(sender: str, kind: str) -> str:
    """Set while `sender` has had the one notice of this kind that a window allows."""
    return f"{PREFIX}rate:notice:{kind}:{sender}"


def deliveries(task_id: str, retries: int) -> str:
    """How many times one attempt of a task was handed to a worker."""
    return f"{PREFIX}deliveries:{task_id}:{retries}"


def source_lock(source_id: str) -> str:
    """Held while a source is ingested or removed, so two jobs never interleave on it."""
    return f"{PREFIX}lock:source:{source_id}"


# The app's Messages tab: the suggested prompts a worker computes each day from the most asked
# questions, and who has had the welcome.
SUGGESTED_PROMPTS = f"{PREFIX}slack:suggested-prompts"
SUGGESTED_PROMPTS_TTL_S = 3 * 24 * 3600  # outlives a missed day or two, not a stale month
WELCOMED_TTL_S = 365 * 24 * 3600


def welcomed(user: str) -> str:
    return f"{PREFIX}slack:welcomed:{user}"


def bench_reply(token: str) -> str:
    """A benchmark's reply list (a Redis list sink)."""
    return f"{PREFIX}bench:reply:{token}"
