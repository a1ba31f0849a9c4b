"""The inbox loses no event when a bot process dies holding one."""

from __future__ import annotations

import json

from bot.inbox import Inbox, InboxConsumer
from faqbot.keys import INBOX
from faqbot.keys import INBOX_ALIVE as ALIVE
from faqbot.keys import INBOX_PROCESSING as PROCESSING
from faqbot.shared_state import redis_client


def test_events_held_by_a_dead_consumer_go_back_to_the_inbox_and_a_live_ones_stay(redis_url):
    redis = redis_client(redis_url)
    redis.flushdb()
    held = json.dumps({"body": "{}", "headers": {}})
    redis.lpush(PROCESSING + "gone:1:abc:0", held)
    redis.lpush(PROCESSING + "here:2:def:0", held)
    redis.set(ALIVE + "here:2:def:0", "1", ex=30)

    consumer = InboxConsumer(Inbox(redis_url), app=None, threads=0)

    assert consumer.recover_orphans() == 1
    assert redis.lrange(INBOX, 0, -1) == [held.encode()]
    assert redis.llen(PROCESSING + "here:2:def:0") == 1
    assert not consumer.idle()
    redis.flushdb()
