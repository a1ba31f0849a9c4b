"""The periodic loop: build → train → eval → promote if better. It skips (with the reason) when
too few new examples arrived since the last dataset, never promotes past the gate, and reports
each run to FAQBOT_ADMIN_CHANNEL."""

from __future__ import annotations

import logging

from faqbot.contracts import RetrainSummary
from faqbot.db.engine import session_scope
from faqbot.settings import Settings
from pipelines.curation.candidates import CORRECTED, NEGATIVE, POSITIVE, load_candidates
from pipelines.curation.versions import list_datasets

log = logging.getLogger("faqbot.training")


def new_examples(settings: Settings) -> int:
    """Usable candidates not in the newest dataset version."""
    datasets = list_datasets(settings)
    seen = set(datasets[0]["interaction_ids"]) if datasets else set()
    with session_scope(settings) as session:
        candidates = load_candidates(session)
    usable = (CORRECTED, POSITIVE, NEGATIVE)
    approved_only, min_voters = settings.dataset_approved_only, settings.feedback_min_voters
    return sum(
        c.training_rule(approved_only, min_voters) in usable and c.interaction_id not in seen
        for c in candidates
    )


def retrain(settings: Settings, *, max_steps: int | None = None, progress=None) -> RetrainSummary:
    """One run of the loop; returns its summary (also posted to the admin channel)."""
    from pipelines.curation.build import build_dataset
    from pipelines.curation.versions import resolve_dataset
    from pipelines.evaluation.gate import PromotionRefused, promote
    from pipelines.training.qlora import register_run, train_adapter

    fresh = new_examples(settings)
    if fresh < settings.retrain_min_examples:
        reason = (
            f"{fresh} new examples since the last dataset, fewer than "
            f"FAQBOT_RETRAIN_MIN_EXAMPLES={settings.retrain_min_examples}"
        )
        return _report(
            settings, RetrainSummary(status="skipped", new_examples=fresh, reason=reason)
        )
    manifest = build_dataset(settings, progress=progress)
    _sync_faq(settings)
    run = train_adapter(
        settings,
        resolve_dataset(settings, manifest["version"]),
        max_steps=max_steps or settings.retrain_max_steps,
        four_bit=settings.llm_4bit or _has_cuda(),
        progress=progress,
    )
    register_run(settings, run, actor="beat")
    trained = {
        "new_examples": fresh,
        "dataset": manifest["version"],
        "adapter": run.adapter_id,
        "steps": run.steps,
        "eval_loss": [run.eval_loss_before, run.eval_loss_after],
    }
    try:
        comparison = promote(settings, run.adapter_id, actor="beat", progress=progress)
    except PromotionRefused as exc:
        summary = RetrainSummary(status="kept-current", reason=str(exc), **trained)
        return _report(settings, summary)
    summary = RetrainSummary(
        status="promoted",
        overall=comparison["candidate"]["overall"],
        replaced=comparison["reference_id"],
        **trained,
    )
    return _report(settings, summary)


def _sync_faq(settings: Settings) -> None:
    from pipelines.curation.faq_entries import sync_feedback_faq
    from workers.embedder import get_embedder
    from workers.store import get_store

    embedder = get_embedder(settings.embedding_model, settings.embedding_batch_size)
    counts = sync_feedback_faq(settings, get_store(settings), embedder)
    log.info("feedback-faq rebuilt: %s", counts)


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def summary_text(summary: RetrainSummary) -> str:
    if summary.status == "skipped":
        return f":zzz: Retraining skipped: {summary.reason}."
    head = (
        f"adapter `{summary.adapter}` ({summary.steps} steps on dataset "
        f"`{summary.dataset}`, {summary.new_examples} new examples)"
    )
    if summary.status == "kept-current":
        return f":no_entry: Retrained {head}, but kept the current model: {summary.reason}"
    overall = summary.overall or {}
    figures = ", ".join(
        f"{k.replace('_', ' ')} {v:.2f}" for k, v in overall.items() if k != "n" and v is not None
    )
    return f":rocket: Promoted {head}, replacing {summary.replaced or 'the base model'}: {figures}."


def _report(settings: Settings, summary: RetrainSummary) -> RetrainSummary:
    text = summary_text(summary)
    log.info("retrain: %s", text)
    if settings.admin_channel and settings.slack_bot_token:
        from faqbot.slack import web_client

        try:
            web_client(settings).chat_postMessage(channel=settings.admin_channel, text=text)
        except Exception as exc:  # noqa: BLE001 - the run happened; a failed post is only logged
            log.warning("could not post the retrain summary to %s: %s", settings.admin_channel, exc)
    return summary
