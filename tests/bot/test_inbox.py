"""The inbox loses no event when a bot process dies holding one."""

from __future__ import annotations

import json

from bot.inbox import Inbox, InboxConsumer
from faqbot.keys import INBOX
from faqbot.keys import INBOX_ALIVE as ALIVE
from faqbot.keys import INBOX_PROCESSING as PROCESSING
from faqbot.shared_state import redis_client

REDIS_URL = "redis://127.0.0.1:6379/11"


def test_events_held_by_a_dead_consumer_go_back_to_the_inbox_and_a_live_ones_stay():
    redis = redis_client(REDIS_URL)
    redis.flushdb()
    held = json.dumps({"body": "{}", "headers": {}})
    redis.lpush(PROCESSING + "gone:1:abc:0", held)
    redis.lpush(PROCESSING + "here:2:def:0", held)
    redis.set(ALIVE + "here:2:def:0", "1", ex=30)

    consumer = InboxConsumer(Inbox(REDIS_URL), app=None, threads=0)

    assert consumer.recover_orphans() == 1
    assert redis.lrange(INBOX, 0, -1) == [held.encode()]
    assert redis.llen(PROCESSING + "here:2:def:0") == 1
    assert not consumer.idle()
    redis.flushdb()
