"""`faqbot dataset build`: what each kind of feedback turns into, and what never gets written."""

from __future__ import annotations

import json

import pytest

from faqbot.db import feedback
from faqbot.db.engine import session_scope
from faqbot.db.models import Interaction
from pipelines.curation.build import DatasetEmpty, build_dataset
from pipelines.curation.versions import resolve_dataset
from tests.pipelines.curation.feedback_rows import answered


def examples(settings, manifest) -> dict[str, list[dict]]:
    folder = settings.datasets_dir / manifest["version"]
    return {
        name: [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().splitlines()]
        for name in ("train", "eval", "negatives")
    }


def everything(rows: dict[str, list[dict]]) -> list[dict]:
    return rows["train"] + rows["eval"] + rows["negatives"]


def by_id(rows: dict[str, list[dict]], interaction_id: int) -> dict:
    [row] = [r for r in everything(rows) if r["id"] == f"i{interaction_id}"]
    return row


def test_each_rule_becomes_the_right_kind_of_example(settings, embedder):
    liked = answered(settings, "How do I fix VPN error 809 at a hotel?", up=2, down=1)
    corrected = answered(
        settings,
        "Who approves travel expenses?",
        "Your manager [1].",
        down=1,
        correction="Finance approves travel over 500 EUR; managers below.",
    )
    disliked = answered(settings, "Where is the office gym?", "On floor 3 [1].", down=2)
    tied = answered(settings, "How do I book a meeting room?", up=1, down=1)

    manifest = build_dataset(settings, approved_only=False)
    rows = examples(settings, manifest)

    assert manifest["by_rule"] == {"corrected": 1, "negative": 1, "neutral": 1, "positive": 1}
    assert by_id(rows, liked)["completion"] == [
        {"role": "assistant", "content": "Switch the VPN profile to TCP [1]."}
    ]
    assert by_id(rows, corrected)["completion"][0]["content"].startswith("Finance approves")
    negative = by_id(rows, disliked)
    assert negative["label"] is False and negative in rows["negatives"]
    assert all(r["id"] != f"i{disliked}" for r in rows["train"] + rows["eval"])
    assert all(r["id"] != f"i{tied}" for r in everything(rows))


def test_examples_carry_the_prompt_the_model_was_served(settings, embedder):
    answered(settings, "How do I fix VPN error 809 at a hotel?", up=2)
    manifest = build_dataset(settings, approved_only=False)
    [row] = everything(examples(settings, manifest))
    system, user = row["prompt"]
    assert system["role"] == "system" and "Use only the numbered sources" in system["content"]
    assert user["role"] == "user"
    assert "[1] VPN guide › Hotels\n> Error 809" in user["content"]
    assert user["content"].endswith("Question: How do I fix VPN error 809 at a hotel?")


def test_a_retracted_vote_no_longer_counts(settings, embedder):
    kept = answered(settings, "How do I reset my password?", up=2)
    retracted = answered(settings, "How do I connect to the guest Wi-Fi?", up=1)
    with session_scope(settings) as session:
        feedback.retract(session, session.get(Interaction, retracted), "U0UP00000", "button")
    manifest = build_dataset(settings, approved_only=False)
    ids = {r["id"] for r in everything(examples(settings, manifest))}
    assert ids == {f"i{kept}"}


def test_personal_data_and_secrets_are_scrubbed_before_writing(settings, embedder):
    answered(
        settings,
        "I'm jane.doe@acme.com, <@U0ASKER01> said call +44 20 7946 0958?",
        "Ask <#C0HELP001|it-help>; the admin password: Hunter2024! [1].",
        up=2,
        sources="[1] Contacts\n> Token xoxb-1234567890-abcdefghijk, mail it@acme.com",
    )
    manifest = build_dataset(settings, approved_only=False)
    folder = settings.datasets_dir / manifest["version"]
    written = "".join(path.read_text() for path in folder.iterdir())
    for secret in (
        "jane.doe@acme.com",
        "U0ASKER01",
        "7946",
        "C0HELP001",
        "Hunter2024",
        "xoxb-",
        "it@acme.com",
    ):
        assert secret not in written
    assert manifest["scrubbed"] == {
        "email": 2,
        "phone": 1,
        "secret": 1,
        "slack_channel": 1,
        "slack_user": 1,
        "token": 1,
    }


def test_near_duplicate_questions_are_merged_keeping_the_best_example(settings, embedder):
    answered(settings, "How do I reset my password?", "Use the portal [1].", up=2)
    best = answered(
        settings, "How do I reset my password", "Use the self-service portal [1].", up=3
    )
    answered(settings, "how do i reset my password??", "Ask IT [1].", up=2)
    manifest = build_dataset(settings, approved_only=False)
    assert manifest["merged_duplicates"] == 2
    [row] = everything(examples(settings, manifest))
    assert row["id"] == f"i{best}"


def test_paraphrases_never_straddle_the_split(settings, embedder):
    topics = [
        (
            "How do I fix VPN error 809 at a hotel?",
            "VPN error 809 in a hotel, what do I do?",
            "At the hotel my VPN gives error 809",
        ),
        (
            "Who approves travel expenses?",
            "Who signs off on my travel costs?",
            "Which person approves travel expenses?",
        ),
        (
            "How do I book a meeting room?",
            "How can I reserve a meeting room?",
            "Booking a meeting room: how?",
        ),
        ("Where do I find my payslip?", "Where can I see my payslip?", "How do I get my payslip?"),
    ]
    for paraphrases in topics:
        for question in paraphrases:
            answered(settings, question, f"About {paraphrases[0]} [1].", up=2)
    settings = settings.model_copy(update={"dataset_eval_fraction": 0.5})
    manifest = build_dataset(settings, approved_only=False)
    rows = examples(settings, manifest)
    assert rows["train"] and rows["eval"]
    assert not {r["cluster"] for r in rows["train"]} & {r["cluster"] for r in rows["eval"]}
    for paraphrases in topics:
        sides = {
            side
            for side in ("train", "eval")
            for r in rows[side]
            if r["completion"][0]["content"] == f"About {paraphrases[0]} [1]."
        }
        assert len(sides) == 1, paraphrases


def test_rejected_candidates_are_left_out_and_approved_only_keeps_only_approved(settings, embedder):
    from faqbot.db import reviews

    approved = answered(settings, "How do I reset my password?", up=2)
    rejected = answered(settings, "Where is the office gym?", up=2)
    unreviewed = answered(settings, "Who approves travel expenses?", up=2)
    with session_scope(settings) as session:
        reviews.mark(session, approved, "approved", "cli:test")
        reviews.mark(session, rejected, "rejected", "cli:test", "wrong floor")

    default = {r["id"] for r in everything(examples(settings, build_dataset(settings)))}
    strict = build_dataset(settings, approved_only=True)
    assert default == {f"i{approved}", f"i{unreviewed}"}
    assert {r["id"] for r in everything(examples(settings, strict))} == {f"i{approved}"}
    assert strict["by_rule"] == {"not_approved": 1, "positive": 1, "rejected": 1}


def test_the_manifest_records_range_counts_and_hashes_and_versions_resolve(settings, embedder):
    import hashlib

    answered(settings, "How do I reset my password?", up=2)
    manifest = build_dataset(settings)
    folder = settings.datasets_dir / manifest["version"]
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["time_range"]["until"] and manifest["candidates"] == 1
    assert resolve_dataset(settings, None).version == manifest["version"]
    assert json.loads((folder / "manifest.json").read_text()) == manifest


def test_nothing_to_build_is_one_clear_error_and_writes_nothing(settings, embedder):
    answered(settings, "How do I book a meeting room?", up=1, down=1)
    with pytest.raises(DatasetEmpty, match="no usable rated answers.*'neutral': 1"):
        build_dataset(settings)
    assert not settings.datasets_dir.exists() or not any(settings.datasets_dir.iterdir())


def test_one_persons_thumbs_up_is_not_enough_unless_an_admin_approved_it(settings, embedder):
    from faqbot.db import reviews

    alone = answered(settings, "How do I reset my password?", up=1)
    vouched = answered(settings, "Where is the office gym?", up=1)
    with session_scope(settings) as session:
        reviews.mark(session, vouched, "approved", "cli:test")

    manifest = build_dataset(settings)

    assert {r["id"] for r in everything(examples(settings, manifest))} == {f"i{vouched}"}
    assert manifest["by_rule"] == {"positive": 1, "too_few_voters": 1}
    assert manifest["settings"]["min_voters"] == 2 and alone


def test_a_correction_nobody_approved_trains_nothing(settings, embedder):
    pending = answered(
        settings,
        "Who approves travel expenses?",
        "Your manager [1].",
        up=2,
        correction="Pay at https://travel-approvals.example.net first.",
        correction_status=feedback.PENDING,
    )
    manifest = build_dataset(settings)
    rows = examples(settings, manifest)
    assert by_id(rows, pending)["completion"][0]["content"] == "Your manager [1]."
    assert "travel-approvals" not in json.dumps(rows)


def test_answers_built_from_restricted_passages_never_become_examples(settings, embedder):
    """The adapter answers every channel: what only #hr may read must not be trained in."""
    public = answered(settings, "How do I reset my password?", up=2)
    answered(
        settings,
        "What is the senior salary band?",
        "120k to 150k [1].",
        up=2,
        channel="C0HR",
        visibility=["C0HR"],
    )
    answered(
        settings,
        "And the code word?",
        "PEREGRINE [1].",
        up=2,
        channel="D0DM",
        private=True,
        visibility=["C0HR"],
    )

    manifest = build_dataset(settings)

    assert {r["id"] for r in everything(examples(settings, manifest))} == {f"i{public}"}
    assert manifest["by_rule"] == {"positive": 1, "restricted": 2}
    written = "".join(
        p.read_text() for p in (settings.datasets_dir / manifest["version"]).iterdir()
    )
    assert "120k" not in written and "PEREGRINE" not in written


def verify(settings, interaction_id: int, text: str) -> None:
    from faqbot.db import verified

    with session_scope(settings) as session:
        question = session.get(Interaction, interaction_id).question
        verified.verify(
            session,
            question=question,
            answer=text,
            author="U0EXPERT1",
            verifier="U0EXPERT1",
            visibility=["C0HELP001"],
            review_days=90,
            interaction_id=interaction_id,
        )


def test_verified_answers_are_the_heaviest_examples_and_join_the_gates_golden_set(
    settings, embedder
):
    """A verified answer wins over the 👍 answer and the correction, counts
    dataset_verified_weight times in training, and when its cluster is held out it is also a
    golden question the gate asks through the whole chain."""
    from pipelines.evaluation.golden import verified_golden
    from pipelines.training.qlora import _pairs

    topics = ["How do I fix VPN error 809 at a hotel?", "Who approves travel expenses?"]
    topics += ["How do I book a meeting room?", "Where do I find my payslip?"]
    ids = [
        answered(
            settings,
            question,
            correction="A correction.",
            up=2,
            retrieved=[{"source_id": "handbook"}],
        )
        for question in topics
    ]
    with session_scope(settings) as session:
        for interaction_id in ids:
            row = session.get(Interaction, interaction_id)
            row.citations = [{"source_id": "handbook", "n": 1}]
    for interaction_id, question in zip(ids, topics, strict=True):
        verify(settings, interaction_id, f"Verified: {question}")
    settings = settings.model_copy(update={"dataset_eval_fraction": 0.5})
    manifest = build_dataset(settings, approved_only=True)  # verified counts as approved

    rows = examples(settings, manifest)
    assert manifest["by_rule"] == {"verified": 4}
    assert rows["train"] and rows["eval"] and {r["weight"] for r in everything(rows)} == {3}
    assert by_id(rows, ids[0])["completion"][0]["content"] == f"Verified: {topics[0]}"
    assert len(_pairs(rows["train"], weighted=True)) == 3 * len(rows["train"])
    golden = verified_golden(settings.datasets_dir / manifest["version"] / "golden.jsonl")
    assert sorted(g.id for g in golden) == sorted(r["id"] for r in rows["eval"])
    assert all(g.sources == ["handbook"] and g.answer.startswith("Verified: ") for g in golden)


def test_a_verified_answer_to_a_question_nothing_was_retrieved_for_trains_nothing(
    settings, embedder
):
    """The expert answered what the knowledge base lacks: a target with no passages would
    teach the model to answer from nowhere, so it is served (verified) but not trained on."""
    liked = answered(settings, "How do I fix VPN error 809 at a hotel?", up=2)
    refused = answered(settings, "Who waters the plants?", "I don't know.", sources="")
    verify(settings, refused, "Facilities, on Mondays.")
    manifest = build_dataset(settings, approved_only=False)
    assert manifest["by_rule"] == {"no_context": 1, "positive": 1}
    assert [r["id"] for r in everything(examples(settings, manifest))] == [f"i{liked}"]
