"""`faqbot dataset`: build training data from feedback, list versions, review candidates."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from cli.console import ProgressBar, database_ready, fail, out
from faqbot.settings import load_settings

dataset_app = typer.Typer(
    help="Training data from 👍/👎 and corrections: build versions, list them, review candidates.",
    no_args_is_help=True,
)


def _date(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r}: not a date (use YYYY-MM-DD or an ISO timestamp)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataset_app.command("build")
def dataset_build(
    since: Annotated[str | None, typer.Option(help="Only answers from this date (UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Only answers before this date.")] = None,
    approved_only: Annotated[
        bool | None,
        typer.Option(
            "--approved-only/--all-unrejected",
            help="Only admin-approved candidates (default: FAQBOT_DATASET_APPROVED_ONLY).",
        ),
    ] = None,
    faq: Annotated[
        bool, typer.Option(help="Also rebuild the feedback-faq knowledge source.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Build a new dataset version from rated answers.

    A 👍-majority answer becomes a training example; an answer with a correction becomes one
    with the corrected text; a 👎-majority answer without one is kept only as an unpaired
    negative. Personal data is scrubbed first, near-duplicate questions are merged, and the
    eval split holds out whole question clusters. Rejected candidates are left out.

    Well-rated and corrected answers also become FAQ entries (source feedback-faq, visible in
    the channel they were asked in), so the next asker of the question finds it directly.
    """
    from pipelines.curation.build import DatasetEmpty, build_dataset

    settings = database_ready()
    with ProgressBar(disable=as_json) as bar:
        try:
            manifest = build_dataset(
                settings,
                since=_date(since, "--since"),
                until=_date(until, "--until"),
                approved_only=approved_only,
                progress=bar,
            )
        except DatasetEmpty as exc:
            fail(str(exc), code=1)
    if faq:
        manifest["feedback_faq"] = _sync_faq(approved_only)
    if as_json:
        print(json.dumps(manifest))
        return
    ex = manifest["examples"]
    out.print(
        f"dataset {manifest['version']}: {ex['train']} train, {ex['eval']} eval, "
        f"{ex['negatives']} negatives from {manifest['candidates']} rated answers "
        f"({manifest['merged_duplicates']} near-duplicates merged)",
        markup=False,
    )
    out.print(f"  by rule: {manifest['by_rule']}", markup=False)
    out.print(f"  scrubbed: {manifest['scrubbed'] or 'nothing'}", markup=False)
    out.print(f"  in {settings.datasets_dir / manifest['version']}", markup=False)
    if faq:
        entries = manifest["feedback_faq"]
        out.print(
            f"  feedback-faq: {entries['entries']} FAQ entries in {entries['channels']} channels",
            markup=False,
        )


def _sync_faq(approved_only: bool | None) -> dict:
    from cli.console import runtime
    from pipelines.curation.faq_entries import sync_feedback_faq

    settings, store, embedder = runtime()
    return sync_feedback_faq(settings, store, embedder, approved_only=approved_only)


@dataset_app.command("list")
def dataset_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifests as JSON.")] = False,
) -> None:
    """List dataset versions, newest first."""
    from pipelines.curation.versions import list_datasets

    manifests = list_datasets(load_settings())
    if as_json:
        print(json.dumps(manifests))
        return
    table = Table("version", "created", "train", "eval", "negatives", "candidates", "scrubbed")
    for m in manifests:
        ex = m["examples"]
        table.add_row(
            m["version"],
            m["created_at"][:16].replace("T", " "),
            str(ex["train"]),
            str(ex["eval"]),
            str(ex["negatives"]),
            str(m["candidates"]),
            str(sum(m["scrubbed"].values())),
        )
    out.print(table if manifests else "No datasets yet: `faqbot dataset build`.")


@dataset_app.command("review")
def dataset_review(
    approve: Annotated[
        list[int] | None, typer.Option(help="Answer ids to approve (repeatable).")
    ] = None,
    reject: Annotated[
        list[int] | None, typer.Option(help="Answer ids to reject (repeatable).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, stored with the marks.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also list reviewed ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print candidates as JSON.")] = False,
) -> None:
    """List training candidates waiting for review, or mark some approved or rejected.

    Candidates are shown scrubbed, as they would be written. A rejected one never reaches a
    dataset; with --approved-only (or FAQBOT_DATASET_APPROVED_ONLY) only approved ones do.
    """
    settings = database_ready()
    if approve or reject:
        _mark(settings, approve or [], reject or [], note)
        return
    rows = _candidates(settings, show_all)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("id", "rule", "👍", "👎", "review", "question", "answer (or correction)")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["rule"],
            str(r["up"]),
            str(r["down"]),
            r["review"] or "-",
            r["question"][:80],
            r["target"][:120],
        )
    out.print(table if rows else "Nothing to review.")


@dataset_app.command("corrections")
def dataset_corrections(
    approve: Annotated[
        list[int] | None, typer.Option(help="Correction numbers to approve (repeatable).")
    ] = None,
    reject: Annotated[
        list[int] | None, typer.Option(help="Correction numbers to reject (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """List corrections waiting for review, or approve or reject some.

    A correction typed into the 👎 form is shown to nobody else, in an FAQ entry or through
    training, until an admin approves it here or with `/faq-admin review` in Slack. Approved,
    it is served at once as a verified answer in the channel it was asked in, and counts from
    the next `faqbot dataset build`. Experts' and admins' own corrections need no review.
    """
    settings = database_ready()
    if approve or reject:
        _review_corrections(settings, approve or [], reject or [])
        return
    rows = _pending_corrections(settings)
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("n", "answer", "by", "question", "answer given", "correction")
    for r in rows:
        table.add_row(
            str(r["n"]),
            str(r["answer_id"]),
            r["by"],
            r["question"][:60],
            r["answer"][:60],
            r["correction"][:120],
        )
    out.print(table if rows else "No corrections are waiting for review.")


def _pending_corrections(settings) -> list[dict]:
    from faqbot.db import feedback
    from faqbot.db.engine import session_scope
    from pipelines.curation.scrub import scrub

    with session_scope(settings) as session:
        pending = feedback.pending_corrections(session, limit=200)
        return [
            {
                "n": correction.id,
                "answer_id": answer.id,
                "by": correction.user_id,
                "at": correction.created_at.isoformat(timespec="seconds"),
                "question": scrub(answer.question),
                "answer": scrub(answer.answer or ""),
                "correction": scrub(correction.text),
            }
            for correction, answer in pending
        ]


def _review_corrections(settings, approve: list[int], reject: list[int]) -> None:
    """As Slack's Approve / Reject: an approved correction is served at once as a verified
    answer in its channel (faqbot.db.review_queue)."""
    from bot.review import outcome_text
    from faqbot.db import audit, review_queue
    from faqbot.db.engine import session_scope

    reviewer = f"cli:{getpass.getuser()}"
    both = sorted(set(approve) & set(reject))
    if both:
        fail(f"correction {both[0]}: both approved and rejected; pick one")
    decisions = [(review_queue.APPROVE, n) for n in approve]
    decisions += [(review_queue.REJECT, n) for n in reject]
    decided = []
    try:
        with session_scope(settings) as session:
            for decision, number in decisions:
                item = review_queue.key(review_queue.CORRECTION, number)
                decided.append(
                    review_queue.decide(
                        session, item, decision, reviewer, review_days=settings.verified_review_days
                    )
                )
                audit.record(session, f"review.{decision}", actor=reviewer, target=item)
    except review_queue.UnknownItem as exc:
        fail(f"{exc} (nothing was marked)", code=1)
    for done in decided:
        out.print(outcome_text(done))


def _mark(settings, approve: list[int], reject: list[int], note: str | None) -> None:
    from faqbot.db import audit, reviews
    from faqbot.db.engine import session_scope

    reviewer = f"cli:{getpass.getuser()}"
    both = sorted(set(approve) & set(reject))
    if both:
        fail(f"answer {both[0]}: both approved and rejected; pick one")
    try:
        with session_scope(settings) as session:
            for decision, action, ids in (
                ("approved", "approve", approve),
                ("rejected", "reject", reject),
            ):
                for interaction_id in ids:
                    reviews.mark(session, interaction_id, decision, reviewer, note)
                    audit.record(
                        session,
                        f"dataset.{action}",
                        actor=reviewer,
                        target=str(interaction_id),
                        note=note,
                    )
    except reviews.UnknownInteraction as exc:
        fail(f"{exc} (nothing was marked)", code=1)
    out.print(f"approved {len(approve)}, rejected {len(reject)}")


def _candidates(settings, show_all: bool) -> list[dict]:
    from faqbot.db.engine import session_scope
    from pipelines.curation.candidates import CORRECTED, load_candidates
    from pipelines.curation.scrub import scrub

    with session_scope(settings) as session:
        candidates = load_candidates(session)
    rows = []
    for c in candidates:
        if c.review and not show_all:
            continue
        rule = c.training_rule(settings.dataset_approved_only, settings.feedback_min_voters)
        target = c.correction if rule == CORRECTED else c.answer
        rows.append(
            {
                "id": c.interaction_id,
                "rule": rule,
                "up": c.up,
                "down": c.down,
                "review": c.review,
                "pending_corrections": c.pending_corrections,
                "question": scrub(c.question),
                "target": scrub(target or ""),
            }
        )
    return rows
