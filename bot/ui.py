"""Block Kit the bot itself shows: modals, admin replies and help. (Answers are drawn by the
workers, in workers/slack/blocks.py.)"""

from __future__ import annotations

from faqbot.db import sources
from faqbot.db.models import Correction, Escalation, Interaction, KnowledgeSource
from faqbot.db.review_queue import CORRECTION, ReviewItem
from faqbot.slack import RESOLVE, escape, mention
from faqbot.visibility import is_public

ADD_SOURCE_VIEW = "add_source"
CORRECTION_VIEW = "correction"
REVIEW_EDIT_VIEW = "review_edit"
VERIFIED_EDIT_VIEW = "verified_edit"
# The buttons of `/faq-admin review`; each carries a review_queue key ("correction:3").
REVIEW_APPROVE, REVIEW_EDIT, REVIEW_REJECT = "review_approve", "review_edit", "review_reject"
UPLOAD_TYPES = ["pdf", "docx", "md", "markdown", "txt", "text", "html", "htm"]
LIST_LIMIT = 40  # sources shown in one message (Slack allows 50 blocks)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def visibility_text(visibility: list[str]) -> str:
    return "everyone" if visibility in ([], ["public"]) else " ".join(f"<#{c}>" for c in visibility)


def admin_help_message() -> dict:
    text = (
        "*/faq-admin* manages the knowledge base:\n"
        "• `add <url> [#channel…]` index a web page, a website (a folder URL or a sitemap), a "
        "Git repository, a Confluence space or page, a Drive folder or a Notion page or "
        "database, kept in sync (visible only in those channels if given); a form asks what "
        "each needs\n"
        "• the message shortcut *Add to knowledge base* indexes a thread, visible in its channel\n"
        "• `add` upload files (PDF, DOCX, Markdown, text, HTML) in a form\n"
        "• `list` all sources · `status [id]` indexing state and errors\n"
        "• `reindex <id>` fetch and index again · `remove <id>` delete from the knowledge base\n"
        "• `visibility <id> public|#channel…` who may see a source's passages in answers\n"
        "• `review` corrections and 👍 answers waiting, with Approve / Edit / Reject: nobody "
        "else is shown a correction until it is approved, then it is served as a verified "
        "answer in its channel · `corrections approve|reject <n>…` decides by number\n"
        "• `experts #channel @person|@group…` who is asked when an answer did not help · "
        "`experts list` · `experts remove #channel [@person…]`\n"
        "• `escalations` questions handed to experts and still open"
    )
    return {"text": text, "blocks": [_section(text)]}


def visibility_input(channels: list[str] | None = None) -> dict:
    """The channels a source will be visible in, as the add forms ask (empty: everyone)."""
    element = {
        "type": "multi_conversations_select",
        "action_id": "channels",
        "filter": {"include": ["public", "private"]},
    }
    if channels:
        element["initial_conversations"] = channels
    return {
        "type": "input",
        "block_id": "visibility",
        "optional": True,
        "label": _plain("Visible only in these channels (empty: everyone)"),
        "element": element,
    }


def add_source_modal() -> dict:
    return {
        "type": "modal",
        "callback_id": ADD_SOURCE_VIEW,
        "title": _plain("Add to knowledge base"),
        "submit": _plain("Index"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "files",
                "label": _plain("Documents"),
                "element": {
                    "type": "file_input",
                    "action_id": "files",
                    "filetypes": UPLOAD_TYPES,
                    "max_files": 10,
                },
            },
            visibility_input(),
        ],
    }


def correction_modal(request_id: str) -> dict:
    return {
        "type": "modal",
        "callback_id": CORRECTION_VIEW,
        "private_metadata": request_id,
        "title": _plain("Thanks for the feedback"),
        "submit": _plain("Send"),
        "close": _plain("Skip"),
        "blocks": [
            {
                "type": "input",
                "block_id": "correction",
                "optional": True,
                "label": _plain("What would the right answer be? (optional)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 3000,
                },
            },
        ],
    }


def correction_received_modal(status: str) -> dict:
    """What the 👎 form turns into once a correction is stored."""
    if status == "verified":
        text = (
            "Thanks — saved as a verified answer: questions like this one in that channel "
            "will get it, marked as verified by you."
        )
    elif status == "approved":
        text = "Thanks — your correction is approved and counts from the next rebuild."
    else:
        text = (
            "Thanks — your correction went to the knowledge-base admins. Nobody else is "
            "shown it until one of them approves it."
        )
    return notice_modal("Thanks for the feedback", text, CORRECTION_VIEW)


def notice_modal(title: str, text: str, callback_id: str = REVIEW_EDIT_VIEW) -> dict:
    """What a form turns into once it was handled: one line, and Close."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title),
        "close": _plain("Close"),
        "blocks": [_section(text)],
    }


def pending_corrections_message(pending: list[tuple[Correction, Interaction]]) -> dict:
    if not pending:
        return {"text": "No corrections are waiting for review."}
    blocks = [_section(f"*{len(pending)} corrections waiting for review* (oldest first)")]
    for correction, answer in pending:
        blocks.append(
            _section(_correction_text(correction.id, correction.user_id, correction.text, answer))
        )
    blocks.append(_section("`/faq-admin corrections approve <n>…` or `reject <n>…`"))
    return {"text": f"{len(pending)} corrections waiting for review", "blocks": blocks}


def _correction_text(number: int, author: str, text: str, answer: Interaction) -> str:
    return (
        f"*#{number}* from <@{author}>{_where(answer)}\n"
        f"*Question:* {escape(answer.question[:300])}\n"
        f"*Answer:* {_shown_answer(answer)}\n"
        f"*Correction:* {escape(text[:1500])}"
    )


def _where(answer: Interaction) -> str:
    return f" in <#{answer.channel}>" if answer.channel and not answer.private else ""


def _shown_answer(answer: Interaction) -> str:
    """An answer built from restricted passages is not repeated here, wherever the admin
    typed the command: `faqbot dataset corrections` shows it to maintainers."""
    if is_public(answer.visibility):
        return escape((answer.answer or "")[:600])
    return "_(built from restricted sources, not shown here)_"


def review_message(items: list[ReviewItem]) -> dict:
    """`/faq-admin review`: each waiting item with Approve / Edit / Reject buttons."""
    if not items:
        return {"text": "Nothing is waiting for review."}
    blocks = [_section(f"*{len(items)} waiting for review* (corrections first, oldest first)")]
    for item in items:
        blocks += [_section(_review_text(item)), _review_buttons(item)]
    return {"text": f"{len(items)} waiting for review", "blocks": blocks}


def _review_text(item: ReviewItem) -> str:
    answer = item.interaction
    if item.kind == CORRECTION:
        return "Correction " + _correction_text(item.id, item.author, item.text, answer)
    return (
        f"*Answer #{item.id}* · 👍 {item.up}{_where(answer)}, asked by <@{item.author}>\n"
        f"*Question:* {escape(answer.question[:300])}\n*Answer:* {_shown_answer(answer)}"
    )


def _review_buttons(item: ReviewItem) -> dict:
    buttons = [
        (REVIEW_APPROVE, "Approve", "primary"),
        (REVIEW_EDIT, "Edit", None),
        (REVIEW_REJECT, "Reject", "danger"),
    ]
    elements = []
    for action_id, label, style in buttons:
        button = {"type": "button", "action_id": action_id, "value": item.key}
        button["text"] = _plain(label)
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": f"review-{item.key}", "elements": elements}


def review_edit_modal(
    item_key: str,
    text: str,
    callback_id: str = REVIEW_EDIT_VIEW,
    title: str = "Edit and approve",
    submit: str = "Approve",
) -> dict:
    """The answer as the admin (or the verifier) wants it served; saved as they submit it."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": item_key,
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "answer",
                "label": _plain("The answer, as it should be given"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 3000,
                    "initial_value": text[:3000],
                },
            },
        ],
    }


def _source_line(row: KnowledgeSource) -> str:
    when = row.last_indexed_at.strftime("%Y-%m-%d %H:%M") if row.last_indexed_at else "never"
    return (
        f"`{escape(row.id)}` · {row.status} · {row.chunk_count} chunks · "
        f"{visibility_text(row.visibility)} · indexed {when}"
    )


def sources_message(rows: list[KnowledgeSource]) -> dict:
    if not rows:
        return {"text": "No sources yet: `/faq-admin add <url>` or `/faq-admin add` to upload."}
    lines = [_source_line(row) for row in rows[:LIST_LIMIT]]
    if len(rows) > LIST_LIMIT:
        lines.append(f"… and {len(rows) - LIST_LIMIT} more (`faqbot sources list` shows all)")
    text = f"*{len(rows)} knowledge sources*"
    return {"text": text, "blocks": [_section(text), *(_section(line) for line in lines)]}


def source_status_message(row: KnowledgeSource, default_sync_hours: float) -> dict:
    report = sources.last_report(row)
    text = (
        f"*{escape(row.id)}* ({row.kind}) — *{row.status}*\n{escape(row.location)}\n"
        f"{row.documents} documents, {row.chunk_count} chunks · visible to "
        f"{visibility_text(row.visibility)} · added by "
        f"{f'<@{row.added_by}>' if row.added_by and row.added_by != 'cli' else 'the CLI'}"
    )
    if report:
        when = row.last_indexed_at.strftime("%Y-%m-%d %H:%M UTC") if row.last_indexed_at else ""
        text += (
            f"\nLast sync {when}: {report.changed} new or changed, {report.removed} removed, "
            f"{report.unchanged} unchanged, {len(report.errors)} errors, {report.chunks} "
            f"chunks embedded in {report.seconds} s"
        )
    text += f"\nSynced {_sync_interval(row, default_sync_hours)}"
    if row.last_error:
        text += f"\n:warning: {escape(row.last_error)}"
    return {"text": text, "blocks": [_section(text)]}


def _sync_interval(row: KnowledgeSource, default_hours: float) -> str:
    hours = sources.spec_of(row).sync_hours
    hours = default_hours if hours is None else hours
    if row.kind == "slack-file" or hours <= 0:
        return "never (`reindex` reads it again)"
    return f"every {hours:g} hours" if hours != 24 else "daily"


def status_summary_message(rows: list[KnowledgeSource]) -> dict:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    states = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none yet"
    chunks = sum(row.chunk_count for row in rows)
    text = f"*{len(rows)} sources* ({states}), {chunks} chunks in all."
    failing = [row for row in rows if row.status == "failed"]
    for row in failing[:10]:
        text += f"\n:warning: `{escape(row.id)}`: {escape(row.last_error or 'failed')}"
    return {"text": text, "blocks": [_section(text)]}


def ask_usage() -> str:
    return "Usage: `/ask <question>`. Only you will see the answer."


def experts_message(listing: dict[str, list[str]]) -> dict:
    if not listing:
        return {
            "text": "No channel has experts yet: `/faq-admin experts #channel @person…`. "
            'Until then, "Still need help?" names the fallback contact.'
        }
    lines = [
        f"<#{channel}>: {' '.join(mention(e) for e in people)}"
        for channel, people in listing.items()
    ]
    text = f"*Experts in {len(listing)} channels*\n" + "\n".join(lines[:LIST_LIMIT])
    return {"text": text, "blocks": [_section(text)]}


def escalation_message(
    question: str, asker: str, experts: list[str], fallback: str, request_id: str
) -> dict:
    """The hand-over in the answer's thread: who is asked, what, and a Resolved button."""
    who = " ".join(mention(e) for e in experts) or escape(fallback)
    text = (
        f"{who}: <@{asker}> still needs help with this question, which I couldn't answer "
        f"well:\n>{escape(question[:1500])}\nPlease reply in this thread."
    )
    button = {
        "type": "button",
        "action_id": RESOLVE,
        "value": request_id,
        "text": _plain("Resolved"),
    }
    return {
        "text": text,
        "blocks": [_section(text), {"type": "actions", "elements": [button]}],
    }


def resolved_text(user: str) -> str:
    return f":white_check_mark: Resolved by <@{user}>. Thanks for helping!"


def escalations_message(rows: list[tuple[Escalation, Interaction]]) -> dict:
    if not rows:
        return {"text": "No questions are waiting for an expert."}
    lines = [
        f"• <#{escalation.channel}> {escalation.created_at:%Y-%m-%d %H:%M}"
        f"{' · reminded' if escalation.reminded_at else ''}: "
        f"{escape(interaction.question[:200])}"
        for escalation, interaction in rows
    ]
    text = f"*{len(rows)} questions waiting for an expert* (oldest first)\n" + "\n".join(lines)
    return {"text": text, "blocks": [_section(text)]}
