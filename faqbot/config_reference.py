"""docs/configuration.md, written from the settings object: every field's variable, default and
description, grouped by concern. `faqbot config reference` prints it, and a test fails when the
file in the repository no longer matches."""

from __future__ import annotations

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from faqbot.settings import Settings

# One line of field names per group reads as a table, so the formatter leaves it as written.
GROUPS: list[tuple[str, list[str]]] = [
    ("Storage and the knowledge store", ["data_dir", "weaviate_url", "weaviate_api_key",
        "weaviate_collection"]),
    ("Embedding and chunking", ["embedding_model", "embedding_batch_size", "chunk_tokens",
        "chunk_overlap_tokens", "chunk_max_chars", "context_neighbours", "context_weight"]),
    ("Retrieval", ["hybrid_alpha", "hybrid_alpha_identifier", "hybrid_candidates", "top_k",
        "reranker_path", "rerank_candidates", "rerank_first_stage_weight"]),
    ("Answering", ["answer_passages", "evidence_words", "relevance_threshold",
        "relevance_adaptive", "support_threshold", "fallback_contact", "thread_context_turns"]),
    ("Generation", ["llm_model", "llm_engine", "llm_base_url", "llm_api_key",
        "llm_request_timeout_s", "llm_threads", "llm_context_tokens", "llm_adapter",
        "model_cache", "llm_max_new_tokens", "llm_4bit", "torch_threads"]),
    ("Ingestion limits", ["max_file_mb", "max_archive_mb", "max_zip_ratio", "max_pdf_pages",
        "max_document_chars", "fetch_timeout_s", "fetch_allowed_hosts", "fetch_max_redirects",
        "fetch_max_decompression_ratio"]),
    ("Connectors and sync", ["crawl_depth", "crawl_max_pages", "git_max_files", "git_timeout_s",
        "secrets_dir", "confluence_page_limit", "notion_api_url", "google_api_url",
        "sync_interval_h", "sync_check_interval_s", "sync_notify_share"]),
    ("Queue, workers and the database", ["redis_url", "database_url", "database_auto_migrate",
        "answer_soft_time_limit_s", "answer_time_limit_s", "ingest_soft_time_limit_s",
        "ingest_time_limit_s", "visibility_timeout_s", "task_max_retries",
        "task_retry_backoff_s", "task_retry_backoff_max_s", "task_max_deliveries",
        "sweep_interval_s", "interaction_retention_days"]),
    ("Slack", ["slack_bot_token", "slack_app_token", "slack_signing_secret",
        "slack_max_body_bytes", "slack_host", "slack_port", "slack_http_processes",
        "slack_http_threads", "slack_inbox_threads", "slack_api_url", "slack_file_hosts",
        "slack_dedupe_ttl_s", "thread_follow_up_hours", "questions_per_minute",
        "slack_native_streaming", "slack_thread_status"]),
    ("Admins and access", ["admin_user_ids", "admin_usergroup", "admin_channel",
        "visibility_grants"]),
    ("Experts, verified answers and the weekly report", ["escalation_remind_after_h", "verify_reaction",
        "verified_match_threshold", "verified_answer_weight", "verified_kb_weight",
        "verified_review_days",
        "report_schedule", "report_weeks"]),
    ("Feedback and curation", ["vote_up_reactions", "vote_down_reactions",
        "feedback_min_voters", "corrections_per_day", "correction_max_chars",
        "dataset_eval_fraction", "dataset_approved_only",
        "dataset_verified_weight"]),
    ("Training and the promotion gate", ["lora_target_modules", "train_learning_rate",
        "train_batch_size", "train_gradient_accumulation", "train_max_length", "train_seed",
        "golden_set", "adapter_gate_tolerance", "adapter_refresh_s", "retrain_schedule",
        "retrain_min_examples", "retrain_max_steps"]),
]  # fmt: skip

HEADER = """# Configuration

One typed settings object (`faqbot/settings.py`) reads `FAQBOT_*` environment variables and an
optional `.env` file when a command starts, never at import time. A bad value stops the command
with one line naming the variable and the reason.

Changing the embedding model, chunking or context settings changes every document's hash, so
the next ingestion of a source re-embeds it.

This page is written from the settings object (`faqbot config reference > docs/configuration.md`);
a test fails when it is out of date.
"""


def reference_markdown() -> str:
    parts = [HEADER]
    for title, names in GROUPS:
        parts.append(f"\n## {title}\n\n| variable | default | what it does |\n|---|---|---|\n")
        for name in names:
            parts.append(_row(name, Settings.model_fields[name]))
    return "".join(parts)


def _row(name: str, field: FieldInfo) -> str:
    description = " ".join((field.description or "").split()).replace("|", "\\|")
    return f"| `FAQBOT_{name.upper()}` | {_default(field)} | {description} |\n"


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is PydanticUndefined or value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | tuple | set | frozenset):
        return f"`{','.join(map(str, value))}`" if value else "empty"
    return f"`{value}`".replace("|", "\\|")
