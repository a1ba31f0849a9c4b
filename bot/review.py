"""The buttons of `/faq-admin review`: an admin approves, edits or rejects a correction or a 👍
answer. What each decision does lives in faqbot.db.review_queue; this checks who pressed,
records it in the audit log and says what happened."""

from __future__ import annotations

from collections.abc import Callable

from faqbot.db import audit, review_queue
from faqbot.db.engine import session_scope
from faqbot.db.review_queue import APPROVE, EDIT, REJECT, Decided
from faqbot.settings import Settings
from faqbot.visibility import is_public

NOT_ADMIN = "Only knowledge-base admins can review corrections and answers."


def decide(
    settings: Settings,
    item_key: str,
    decision: str,
    user: str,
    is_admin: Callable[[str], bool],
    text: str | None = None,
) -> str:
    """The admin's decision applied, as one line for them; nothing changes for anyone else."""
    if not is_admin(user):
        return NOT_ADMIN
    try:
        with session_scope(settings) as session:
            done = review_queue.decide(
                session,
                item_key,
                decision,
                user,
                review_days=settings.verified_review_days,
                text=text,
            )
            audit.record(
                session, f"review.{decision}", actor=user, target=item_key, served=done.verified_id
            )
    except review_queue.UnknownItem as exc:
        return f":warning: {exc}; nothing was changed."
    return outcome_text(done)


def outcome_text(done: Decided) -> str:
    label = done.label[0].upper() + done.label[1:]
    if done.decision == REJECT:
        retired = " The verified answer it was served as is retired." if done.retired else ""
        return f":wastebasket: {label} rejected: nobody is shown it or trained on it.{retired}"
    how = "approved as you edited it" if done.decision == EDIT else "approved"
    if done.verified_id:
        return (
            f":white_check_mark: {label} {how}: served from now on as verified answer "
            f"#{done.verified_id} in the channel it was asked in, and an example in the next "
            "dataset build."
        )
    if done.label.startswith(review_queue.ANSWER) and done.decision == APPROVE:
        return f":white_check_mark: {label} {how}: an example in the next dataset build."
    return (
        f":white_check_mark: {label} {how}: an example in the next dataset build (it was "
        "answered privately, so there is no channel to serve it in)."
    )


def text_to_edit(settings: Settings, item_key: str) -> str:
    """What the edit form starts from: the correction, or the answer unless it was built from
    restricted passages (the form may be opened anywhere)."""
    with session_scope(settings) as session:
        try:
            item = review_queue.find(session, item_key)
        except review_queue.UnknownItem:
            return ""
        if item is None:
            return ""
        restricted = not is_public(item.interaction.visibility)
        return "" if item.kind == review_queue.ANSWER and restricted else item.text
