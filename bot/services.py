"""What the bot builds once at start and every listener shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from faqbot.dispatch import Dispatcher, dispatcher_for
from faqbot.settings import Settings
from faqbot.shared_state import SharedKeys, shared_keys


@dataclass
class BotServices:
    settings: Settings
    dispatcher: Dispatcher
    keys: SharedKeys
    # Slack calls that can wait until Slack has its 200 (placeholders, DMs to admins).
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            8, thread_name_prefix="faqbot-bot", initializer=_background_priority
        )
    )

    def later(self, work: Callable[..., None], *args) -> None:
        """Runs `work` after the current request is answered; its failure is logged."""
        self.background.submit(_logged, work, *args)


def _background_priority() -> None:
    from bot.inbox import lower_priority

    lower_priority()


def _logged(work: Callable[..., None], *args) -> None:
    try:
        work(*args)
    except Exception:
        logging.getLogger("faqbot.bot").exception("background Slack call failed")


def bot_services(settings: Settings) -> BotServices:
    """Raises DatabaseUnavailable when the app database cannot be reached or migrated."""
    from faqbot.db.migrate import ensure_schema

    ensure_schema(settings)
    return BotServices(settings, dispatcher_for(settings), shared_keys(settings))
