"""Modal submissions: a correction after 👎, an admin's edit from `/faq-admin review`, and files,
websites and repositories to index from `/faq-admin add`."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import feedback, review, ui, verification
from bot.admin import subcommands as admin
from bot.admin.auth import AdminCheck, refusal
from bot.connector_form import ADD_CONNECTOR_VIEW, FormError, submitted
from bot.escalation import is_expert
from bot.services import BotServices
from faqbot.db import experts
from faqbot.db.engine import session_scope
from faqbot.db.review_queue import EDIT


def edited_answer(ack: Ack, view: dict, if_empty: str) -> str:
    """The text of an edit form's answer; an empty one is refused in the form."""
    text = (view["state"]["values"]["answer"]["text"].get("value") or "").strip()
    if not text:
        ack(response_action="errors", errors={"answer": if_empty})
    return text


def register(app: App, services: BotServices) -> None:
    admins = AdminCheck(services.settings)

    @app.view(ui.CORRECTION_VIEW)
    def on_correction(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        """Stored before the form closes, so a refusal can be shown in it."""
        user = body["user"]["id"]
        text = view["state"]["values"]["correction"]["text"].get("value") or ""
        by_admin = bool(text.strip()) and admins.allows(user, client)
        try:
            status = feedback.on_correction(
                services.settings,
                view["private_metadata"],
                user,
                text,
                by_admin=by_admin,
                is_channel_expert=lambda channel: channel_expert(channel, user, client),
            )
        except feedback.CorrectionRefused as exc:
            ack(response_action="errors", errors={"correction": str(exc)})
            return
        if status is None:
            ack()
            return
        ack(response_action="update", view=ui.correction_received_modal(status))

    def channel_expert(channel: str, user: str, client: WebClient) -> bool:
        with session_scope(services.settings) as session:
            named = experts.of_channel(session, channel)
        return bool(named) and is_expert(named, user, client, lambda _user: False)

    @app.view(ui.REVIEW_EDIT_VIEW)
    def on_review_edit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        text = edited_answer(ack, view, "Write the answer to approve.")
        if not text:
            return
        note = review.decide(
            services.settings,
            view["private_metadata"],
            EDIT,
            body["user"]["id"],
            lambda user: admins.allows(user, client),
            text=text,
        )
        ack(response_action="update", view=ui.notice_modal("Edit and approve", note))

    @app.view(ui.VERIFIED_EDIT_VIEW)
    def on_verified_edit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        """A verifier's edit on review: served as edited, due for review again later."""
        text = edited_answer(ack, view, "Write the answer to save.")
        if not text:
            return
        note = verification.review(
            services.settings,
            view["private_metadata"],
            body["user"]["id"],
            keep=True,
            is_admin=lambda user: admins.allows(user, client),
            text=text,
        )
        ack(response_action="update", view=ui.notice_modal("Edit verified answer", note))

    @app.view(ui.ADD_SOURCE_VIEW)
    def on_add_source(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user = body["user"]["id"]
        if not admins.allows(user, client):
            admin.record(services, user, "add", "upload", "refused")
            ack(response_action="errors", errors={"files": refusal(services.settings)})
            return
        values = view["state"]["values"]
        files = values["files"]["files"].get("files") or []
        channels = values.get("visibility", {}).get("channels", {}).get("selected_conversations")
        if not files:
            ack(response_action="errors", errors={"files": "Attach at least one document."})
            return
        ack()
        admin.add_uploads(services, client, user, files, channels or ["public"])

    @app.view(ADD_CONNECTOR_VIEW)
    def on_add_connector(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        """A website or repository from `/faq-admin add <url>`'s form, queued for indexing."""
        user = body["user"]["id"]
        if not admins.allows(user, client):
            admin.record(services, user, "add", "connector", "refused")
            ack(response_action="errors", errors={"sync": refusal(services.settings)})
            return
        try:
            url, spec, visibility = submitted(view)
        except FormError as exc:
            ack(response_action="errors", errors={exc.block_id: str(exc)})
            return
        ack()
        call = admin.AdminCall(services, client, user, [url])
        admin.queue_source(call, url, spec, visibility)
        admin.record(services, user, "add", url, "ok", kind=spec.kind)
