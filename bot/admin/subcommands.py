"""What each /faq-admin subcommand does. Slow work (indexing, removal) goes to the ingest queue;
its progress and result come back in the admin's DM with the bot. Every call, refused ones
included, is written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot import review, ui
from bot.admin.parsing import (
    AdminCommand,
    AdminInputError,
    channel_arg,
    numbers_arg,
    people_args,
    source_id_arg,
    url_arg,
    visibility_args,
)
from bot.connector_form import connector_modal
from bot.questions import post_placeholder
from bot.services import BotServices
from faqbot import keys
from faqbot.contracts import (
    INGEST,
    REMOVE_SOURCE,
    IngestRequest,
    RemoveSourceRequest,
    Reply,
    SourceSpec,
)
from faqbot.db import audit, experts, feedback, review_queue, sources
from faqbot.db.engine import session_scope
from faqbot.db.models import KnowledgeSource
from faqbot.slack import mention
from faqbot.source_kinds import kind_of_url
from faqbot.visibility import PUBLIC


@dataclass
class AdminCall:
    services: BotServices
    client: WebClient
    user: str
    args: list[str]
    trigger_id: str | None = None


Handler = Callable[[AdminCall], dict]
REVIEW_LIMIT = 10  # items in one review message: two blocks each, Slack allows 50


def run(
    services: BotServices,
    client: WebClient,
    user: str,
    command: AdminCommand,
    trigger_id: str | None,
) -> dict:
    """The ephemeral reply to the admin (a Slack message payload)."""
    call = AdminCall(services, client, user, command.args, trigger_id)
    try:
        reply = HANDLERS[command.name](call)
    except AdminInputError as exc:
        record(services, user, command.name, " ".join(command.args), "invalid", reason=str(exc))
        return {"text": f":warning: {exc}"}
    record(services, user, command.name, " ".join(command.args), "ok")
    return reply


def record(
    services: BotServices, user: str, name: str, target: str, outcome: str, **detail
) -> None:
    with session_scope(services.settings) as session:
        audit.record(
            session,
            f"admin.{name}",
            actor=user,
            target=target[:200] or None,
            outcome=outcome,
            **detail,
        )


def queue_job(
    call: AdminCall, task: str, request: IngestRequest | RemoveSourceRequest, note: str
) -> None:
    """Sends the job with the admin's DM as its reply, then posts the DM the worker edits."""
    request.reply = Reply(kind="slack", key=keys.placeholder(request.request_id), channel=call.user)
    call.services.dispatcher.submit(task, request)
    call.services.later(post_placeholder, call.services, call.client, request, note)


def add(call: AdminCall) -> dict:
    """`add` alone: the upload form. `add <url> [#channel…]`: a page is queued at once; a
    website or Git repository opens its form (depth, branch, sync) when Slack gave a trigger."""
    if not call.args:
        if not call.trigger_id:
            raise AdminInputError("`add` needs a URL, or run it alone to upload files")
        call.client.views_open(trigger_id=call.trigger_id, view=ui.add_source_modal())
        return {}
    url, visibility = url_arg(call.args[0]), visibility_args(call.args[1:])
    kind = kind_of_url(url)
    if kind != "url" and call.trigger_id:
        channels = [label for label in visibility if label != PUBLIC]
        form = connector_modal(kind, url, channels, call.services.settings)
        call.client.views_open(trigger_id=call.trigger_id, view=form)
        return {}
    return queue_source(call, url, SourceSpec(kind=kind), visibility)


def queue_source(call: AdminCall, url: str, spec: SourceSpec, visibility: list[str]) -> dict:
    request = IngestRequest(target=url, spec=spec, visibility=visibility, added_by=call.user)
    what = {"git": f"the repository {url}", "website": f"the site {url}",
            "slack-thread": "the thread"}.get(spec.kind or "", url)  # fmt: skip
    queue_job(call, INGEST, request, f":hourglass: Queued: indexing {what}…")
    return {
        "text": f"Indexing {what} (visible to: {ui.visibility_text(visibility)}). Progress "
        "and the result will arrive in your DM with me."
    }


def registered(call: AdminCall, command: str) -> KnowledgeSource:
    source_id = source_id_arg(call.args, command)
    with session_scope(call.services.settings) as session:
        row = sources.get(session, source_id)
    if row is None:
        raise AdminInputError(f"no source `{source_id}`; `/faq-admin list` shows the sources")
    return row


def reindex(call: AdminCall, visibility: list[str] | None = None) -> dict:
    row = registered(call, "visibility" if visibility else "reindex")
    request = IngestRequest(
        target=row.location,
        source_id=row.id,
        added_by=call.user,
        visibility=visibility or row.visibility,
    )
    queue_job(call, INGEST, request, f":hourglass: Queued: reindexing `{row.id}`…")
    return {
        "text": f"Reindexing `{row.id}` (visible to: "
        f"{ui.visibility_text(request.visibility)}); the result will arrive in your "
        "DM."
    }


def change_visibility(call: AdminCall) -> dict:
    if len(call.args) < 2:
        raise AdminInputError("usage: `/faq-admin visibility <id> public|#channel…`")
    return reindex(call, visibility_args(call.args[1:]))


def remove(call: AdminCall) -> dict:
    row = registered(call, "remove")
    request = RemoveSourceRequest(source_id=row.id, actor=call.user)
    queue_job(call, REMOVE_SOURCE, request, f":hourglass: Queued: removing `{row.id}`…")
    return {"text": f"Removing `{row.id}`; I'll confirm in your DM."}


def list_sources(call: AdminCall) -> dict:
    with session_scope(call.services.settings) as session:
        rows = sources.all_sources(session)
    return ui.sources_message(rows)


def status(call: AdminCall) -> dict:
    if call.args:
        row = registered(call, "status")
        return ui.source_status_message(row, call.services.settings.sync_interval_h)
    with session_scope(call.services.settings) as session:
        rows = sources.all_sources(session)
    return ui.status_summary_message(rows)


def corrections(call: AdminCall) -> dict:
    """`corrections` lists those waiting; `corrections approve|reject N…` decides them."""
    if not call.args:
        with session_scope(call.services.settings) as session:
            return ui.pending_corrections_message(feedback.pending_corrections(session, 10))
    decision = {"approve": review_queue.APPROVE, "reject": review_queue.REJECT}.get(call.args[0])
    if decision is None:
        raise AdminInputError("usage: `/faq-admin corrections [approve|reject <n>…]`")
    numbers = numbers_arg(call.args[1:], "correction")
    settings = call.services.settings
    try:
        with session_scope(settings) as session:
            decided = [
                review_queue.decide(
                    session,
                    review_queue.key(review_queue.CORRECTION, number),
                    decision,
                    call.user,
                    review_days=settings.verified_review_days,
                )
                for number in numbers
            ]
    except review_queue.UnknownItem as exc:
        raise AdminInputError(f"{exc}; nothing was changed") from exc
    return {"text": "\n".join(review.outcome_text(done) for done in decided)}


def review_waiting(call: AdminCall) -> dict:
    """`review`: corrections and 👍 answers waiting, each with Approve / Edit / Reject."""
    with session_scope(call.services.settings) as session:
        return ui.review_message(review_queue.pending(session, REVIEW_LIMIT))


EXPERTS_USAGE = (
    "usage: `/faq-admin experts #channel @person|@group…`, `experts list` or "
    "`experts remove #channel [@person…]`"
)


def channel_experts(call: AdminCall) -> dict:
    """`experts [list]`, `experts #channel @person…` (add), `experts remove #channel [@…]`."""
    if not call.args or call.args[0].lower() == "list":
        with session_scope(call.services.settings) as session:
            return ui.experts_message(experts.by_channel(session))
    removing = call.args[0].lower() == "remove"
    words = call.args[1:] if removing else call.args
    if not words or (not removing and len(words) < 2):
        raise AdminInputError(EXPERTS_USAGE)
    channel, people = channel_arg(words[0]), people_args(words[1:])
    tagged = " ".join(mention(p) for p in people)
    with session_scope(call.services.settings) as session:
        if removing:
            gone = experts.remove_experts(session, channel, people or None)
            return {"text": f"Removed {gone} experts from <#{channel}>."}
        added = experts.add_experts(session, channel, people, call.user)
    if not added:
        return {"text": f"{tagged} already answer for <#{channel}>; nothing changed."}
    return {
        "text": f"{' '.join(mention(p) for p in added)} will be asked in <#{channel}> when an "
        "answer did not help."
    }


def escalations(call: AdminCall) -> dict:
    with session_scope(call.services.settings) as session:
        return ui.escalations_message(experts.open_escalations(session))


HANDLERS: dict[str, Handler] = {
    "add": add,
    "list": list_sources,
    "status": status,
    "remove": remove,
    "reindex": reindex,
    "visibility": change_visibility,
    "corrections": corrections,
    "review": review_waiting,
    "experts": channel_experts,
    "escalations": escalations,
    "help": lambda call: ui.admin_help_message(),
}


def add_uploads(
    services: BotServices, client: WebClient, user: str, files: list[dict], visibility: list[str]
) -> None:
    """One ingest job per uploaded file, each reporting in the admin's DM."""
    call = AdminCall(services, client, user, [])
    for uploaded in files:
        request = IngestRequest(
            target=f"slack-file:{uploaded['id']}", visibility=visibility, added_by=user
        )
        name = uploaded.get("name") or uploaded["id"]
        queue_job(call, INGEST, request, f":hourglass: Queued: indexing {name}…")
        record(
            services,
            user,
            "add",
            f"slack-file:{uploaded['id']}",
            "ok",
            file=name,
            visibility=visibility,
        )
