"""The weekly report to FAQBOT_ADMIN_CHANNEL (`faqbot beat`, FAQBOT_REPORT_SCHEDULE): the
week's figures, its largest knowledge gaps, each with "Add a source" (the /faq-admin add form)
and "Ask experts" (hands the gap's newest question to its channel's experts), and, in the
thread, a plot of answered / refused / escalated per week."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from faqbot.contracts import ReportSummary
from faqbot.db import stats
from faqbot.db.engine import session_scope
from faqbot.db.stats import UsageStats
from faqbot.settings import Settings
from faqbot.slack import GAP_ADD_SOURCE, GAP_ASK_EXPERTS, escape
from pipelines.curation.gaps import GapCluster, knowledge_gaps, plot_weeks
from workers.slack.blocks import context, section

log = logging.getLogger("faqbot.report")
REPORT_GAPS = 5  # the largest gaps posted; `faqbot gaps` lists more


def post_weekly_report(
    settings: Settings, store, embedder, client: WebClient, now: dt.datetime | None = None
) -> ReportSummary:
    channel = settings.admin_channel
    if not channel:
        return ReportSummary(posted=False, reason="FAQBOT_ADMIN_CHANNEL is not set")
    now = now or dt.datetime.now(dt.UTC)
    week_ago = now - dt.timedelta(days=7)
    with session_scope(settings) as session:
        figures = stats.usage(session, week_ago, now)
        weeks = stats.usage(session, now - dt.timedelta(weeks=settings.report_weeks), now).weeks
    clusters = knowledge_gaps(settings, store, embedder, week_ago, now, limit=REPORT_GAPS)
    try:
        posted = client.chat_postMessage(
            channel=channel, text=headline(figures), blocks=report_blocks(figures, clusters)
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("could not post the weekly report to %s: %s", channel, error)
        return ReportSummary(posted=False, reason=f"chat.postMessage: {error}", channel=channel)
    summary = ReportSummary(
        posted=True, channel=channel, questions=figures.questions, gaps=len(clusters)
    )
    summary.plot = _upload_plot(settings, client, channel, posted["ts"], weeks, now)
    return summary


def _upload_plot(settings, client: WebClient, channel: str, ts: str, weeks, now) -> bool:
    """The plot in the report's thread; a failed upload is logged, the report stands."""
    if not weeks:
        return False
    path = plot_weeks(weeks, settings.data_dir / "reports" / f"weeks-{now:%Y-%m-%d}.png")
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            file=str(path),
            filename=path.name,
            title=f"Questions per week, last {settings.report_weeks} weeks",
        )
    except SlackApiError as exc:
        log.warning("could not upload the weekly plot: %s", exc.response.get("error"))
        return False
    return True


def headline(figures: UsageStats) -> str:
    if not figures.questions:
        return "*This week:* no questions."
    rate = f", 👍 rate {figures.thumbs_up_rate:.0%}" if figures.thumbs_up_rate is not None else ""
    p50 = figures.resolution_hours_p50
    resolution = f" (resolved in {p50:.1f} h, median)" if p50 is not None else ""
    return (
        f"*This week:* {figures.questions} questions, "
        f"{figures.answered_without_escalation} answered without escalation, "
        f"{figures.refused} refused, {figures.escalated} handed to experts{resolution}, "
        f"{figures.verified_served} answered from verified answers{rate}."
    )


def report_blocks(figures: UsageStats, clusters: list[GapCluster]) -> list[dict]:
    blocks = [section(headline(figures))]
    if not clusters:
        return [*blocks, context("No knowledge gaps this week: nothing refused, 👎 or escalated.")]
    blocks.append(
        section(f"*The {len(clusters)} largest knowledge gaps* (`faqbot gaps` lists all)")
    )
    for cluster in clusters:
        blocks += [section(_gap_text(cluster)), _gap_actions(cluster)]
    return blocks


def _gap_text(cluster: GapCluster) -> str:
    why = ", ".join(f"{n} {reason}" for reason, n in cluster.reasons.items())
    asked = "\n".join(f">{escape(q[:200])}" for q in cluster.examples)
    where = " ".join(f"<#{c}>" for c in cluster.channels) or "privately"
    closest = escape(cluster.closest) if cluster.closest else "nothing close"
    return f"*Asked {cluster.size}×* ({why}) in {where}\n{asked}\nClosest source: {closest}"


def _gap_actions(cluster: GapCluster) -> dict:
    elements = [_button(GAP_ADD_SOURCE, "Add a source", "add")]
    if cluster.newest_request_id:
        elements.append(_button(GAP_ASK_EXPERTS, "Ask experts", cluster.newest_request_id))
    return {"type": "actions", "elements": elements}


def _button(action_id: str, label: str, value: str) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": label},
    }
