"""The answer as every caller sees it: CLI, JSON, the Slack reply and the interaction log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Citation:
    n: int
    source_id: str
    title: str
    url: str | None
    chunk_id: str
    snippet: str
    document: str  # the file or page within the source (doc_key)


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Citation]
    refused: bool
    mode: str  # "generated", "extractive" (the model's text was not backed) or "refused"
    model: str
    adapter: str | None
    timings_ms: dict[str, float]
    tokens: dict[str, int] = field(default_factory=dict)
    related: list[Citation] = field(default_factory=list)  # shown when nothing valid was cited
    retrieved: list[dict] = field(default_factory=list)  # chunk_id, source_id, score: for the log
    # The prompt's other inputs, {"sources", "history"} as formatted for the model: training
    # examples are rebuilt from them in exactly the served format.
    context: dict[str, str] = field(default_factory=dict)
    # Generated sentences the support check turned away (generation stops at the first one).
    dropped: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["timings_ms"] = {k: round(v, 1) for k, v in self.timings_ms.items()}
        return data
