"""/faq-admin: who may use it, what each subcommand queues or shows, and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from faqbot.contracts import IngestReport
from faqbot.db import sources
from faqbot.db.engine import session_scope
from faqbot.db.migrate import ensure_schema
from faqbot.db.models import AuditEntry
from pipelines.bench.slack_requests import view_submission

ADMIN = "U0ADMIN01"


def audit_rows(settings) -> list[tuple]:
    with session_scope(settings) as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(r.actor, r.action, r.target, r.outcome) for r in rows]


def registered_source(settings, source_id: str = "handbook-abc123") -> None:
    ensure_schema(settings)
    with session_scope(settings) as session:
        sources.start_indexing(
            session,
            source_id,
            kind="url",
            location="https://intra.example/hb",
            visibility=["C0HR00001"],
            added_by=ADMIN,
            request_id="r1",
        )
        sources.finish_indexing(
            session,
            source_id,
            report=IngestReport(source_id=source_id, chunks=12, files=1),
            documents=1,
            chunks=12,
            visibility=["C0HR00001"],
        )


def test_a_non_admin_is_refused_and_the_refusal_is_audited(running_bot):
    response = running_bot.command("/faq-admin", "add https://intra.example/page", user="U0NOBODY1")
    assert response.status_code == 200
    assert "only for knowledge-base admins" in response.text
    assert running_bot.queued("ingest") == []
    assert audit_rows(running_bot.services.settings) == [
        ("U0NOBODY1", "admin.command", "add https://intra.example/page", "refused")
    ]


def test_members_of_the_admin_user_group_are_admins(running_bot):
    running_bot.standin.usergroups["S0ADMINS"] = ["U0GROUPIE"]
    response = running_bot.command("/faq-admin", "help", user="U0GROUPIE")
    assert "manages the knowledge base" in response.text


def test_add_url_queues_ingestion_scoped_to_channels_and_reports_in_the_admins_dm(running_bot):
    text = "add <https://intra.example/parking> <#C0HR00001|hr> <#C0OPS0001|ops>"
    response = running_bot.command("/faq-admin", text, user=ADMIN)
    assert "Indexing https://intra.example/parking" in response.text
    [job] = running_bot.queued("ingest")
    assert job["target"] == "https://intra.example/parking"
    assert job["visibility"] == ["C0HR00001", "C0OPS0001"] and job["added_by"] == ADMIN
    assert job["reply"]["channel"] == ADMIN  # the worker edits the DM below
    [dm] = running_bot.standin.wait_for(
        lambda: running_bot.standin.called("chat.postMessage", channel=ADMIN), 5
    )
    assert "Queued: indexing" in dm.params["text"]
    assert audit_rows(running_bot.services.settings)[-1] == (ADMIN, "admin.add", text[4:], "ok")


def test_bad_admin_input_is_one_line_and_changes_nothing(running_bot):
    settings = running_bot.services.settings
    registered_source(settings)
    cases = {
        "add ftp://files.example/x": "`ftp://files.example/x`: only http and https URLs can be added",
        "add https://intra.example/x #general": "`#general` is not a channel",
        "remove no-such-source": "no source `no-such-source`",
        "visibility handbook-abc123": "usage: `/faq-admin visibility <id> public|#channel…`",
        "frobnicate": "`frobnicate` is not a /faq-admin command",
    }
    for text, reason in cases.items():
        response = running_bot.command("/faq-admin", text, user=ADMIN)
        assert response.text.startswith(":warning:") and reason in response.text, text
        assert "\n" not in response.text
    assert running_bot.queued("ingest") == []
    outcomes = [row[3] for row in audit_rows(settings)]
    assert outcomes == ["invalid"] * len(cases)
    with session_scope(settings) as session:
        assert sources.get(session, "handbook-abc123").chunk_count == 12  # nothing lost


def test_list_and_status_show_the_registry(running_bot):
    settings = running_bot.services.settings
    registered_source(settings)
    listing = running_bot.command("/faq-admin", "list", user=ADMIN).json()
    assert "`handbook-abc123` · ready · 12 chunks · <#C0HR00001>" in str(listing["blocks"])
    status = running_bot.command("/faq-admin", "status handbook-abc123", user=ADMIN).json()
    assert "https://intra.example/hb" in status["text"] and "ready" in status["text"]
    summary = running_bot.command("/faq-admin", "status", user=ADMIN).json()
    assert summary["text"].startswith("*1 sources* (1 ready), 12 chunks")


def test_reindex_visibility_and_remove_queue_jobs_for_a_registered_source(running_bot):
    registered_source(running_bot.services.settings)
    for text in (
        "reindex handbook-abc123",
        "visibility handbook-abc123 public",
        "remove handbook-abc123",
    ):
        assert not running_bot.command("/faq-admin", text, user=ADMIN).text.startswith(":warning:")
    reindex, visibility, remove = running_bot.queued("ingest")
    assert (reindex["target"], reindex["visibility"]) == ("https://intra.example/hb", ["C0HR00001"])
    assert (visibility["source_id"], visibility["visibility"]) == ("handbook-abc123", ["public"])
    assert remove["source_id"] == "handbook-abc123" and remove["actor"] == ADMIN


def test_add_alone_opens_an_upload_form_whose_files_are_queued_for_indexing(running_bot):
    running_bot.command("/faq-admin", "add", user=ADMIN)
    [opened] = running_bot.standin.called("views.open")
    file_input = opened.params["view"]["blocks"][0]["element"]
    assert file_input["type"] == "file_input" and "pdf" in file_input["filetypes"]
    assert (
        running_bot.interaction(upload_submission(ADMIN, "F0POLICY1", ["C0HR00001"])).status_code
        == 200
    )
    [job] = running_bot.queued("ingest")
    assert (job["target"], job["visibility"]) == ("slack-file:F0POLICY1", ["C0HR00001"])


def upload_submission(user: str, file_id: str, channels: list[str] | None = None) -> dict:
    """The view_submission Slack sends when the upload form is submitted."""
    files = {"type": "file_input", "files": [{"id": file_id, "name": "policy.pdf"}]}
    selected = {"type": "multi_conversations_select", "selected_conversations": channels or []}
    values = {"files": {"files": files}, "visibility": {"channels": selected}}
    return view_submission(user, "add_source", values)
