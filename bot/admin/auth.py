"""Who may use /faq-admin: listed user IDs, or members of one Slack user group."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.settings import Settings

log = logging.getLogger("faqbot.bot")
GROUP_CACHE_S = 60.0


class AdminCheck:
    def __init__(self, settings: Settings):
        self.users = set(settings.admin_user_ids)
        self.group = settings.admin_usergroup
        self._members: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def allows(self, user_id: str, client: WebClient) -> bool:
        return user_id in self.users or user_id in self._group_members(client)

    def _group_members(self, client: WebClient) -> frozenset[str]:
        if not self.group:
            return frozenset()
        with self._lock:
            if time.monotonic() - self._fetched_at > GROUP_CACHE_S:
                try:
                    users = client.usergroups_users_list(usergroup=self.group)["users"]
                    self._members = frozenset(users)
                    self._fetched_at = time.monotonic()
                except SlackApiError as exc:  # keep the last list rather than lock admins out
                    log.warning(
                        "user group %s not readable: %s", self.group, exc.response.get("error")
                    )
            return self._members


def refusal(settings: Settings) -> str:
    if not settings.admin_user_ids and not settings.admin_usergroup:
        return (
            "Sorry, /faq-admin is for knowledge-base admins, and none are configured: set "
            "FAQBOT_ADMIN_USER_IDS or FAQBOT_ADMIN_USERGROUP."
        )
    return (
        "Sorry, /faq-admin is only for knowledge-base admins. Ask one of them to add you "
        "to FAQBOT_ADMIN_USER_IDS or the admin user group."
    )
