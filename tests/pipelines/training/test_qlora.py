"""QLoRA training on a tiny random Phi-3: the real code path (4-bit NF4 on CPU, peft, trl's
SFTTrainer) in seconds, without Phi-3's weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.curation.versions import DatasetFiles
from pipelines.training.qlora import sft_trainer, train_adapter
from pipelines.training.targets import TargetModulesError
from tests.pipelines.training.tiny_models import tiny_phi3

pytestmark = pytest.mark.slow
PHI3_MODULES = {"qkv_proj", "o_proj", "gate_up_proj", "down_proj"}


def example(i: int) -> dict:
    return {
        "prompt": [
            {"role": "system", "content": "Answer from the numbered sources."},
            {
                "role": "user",
                "content": f"Sources:\n[1] VPN\n> Error {i} means IPsec is "
                f"blocked.\n\nQuestion: what is VPN error {i}?",
            },
        ],
        "completion": [{"role": "assistant", "content": f"Error {i}: IPsec is blocked [1]."}],
    }


@pytest.fixture(scope="module")
def phi3(tmp_path_factory, model_cache) -> Path:
    return tiny_phi3(tmp_path_factory.mktemp("tiny-phi3"), model_cache)


@pytest.fixture
def dataset(tmp_path) -> DatasetFiles:
    train, held_out = tmp_path / "train.jsonl", tmp_path / "eval.jsonl"
    train.write_text("".join(json.dumps(example(i)) + "\n" for i in range(6)))
    held_out.write_text("".join(json.dumps(example(i)) + "\n" for i in range(6, 8)))
    return DatasetFiles("ds-test", train, held_out, None, {})


@pytest.fixture
def small_batches(settings):
    return settings.model_copy(update={"train_batch_size": 2, "train_gradient_accumulation": 1})


def test_a_few_4bit_steps_give_a_loadable_adapter_on_exactly_phi3s_fused_modules(
    small_batches, phi3, dataset
):
    from peft import PeftModel

    from workers.generation.loading import load_model

    run = train_adapter(small_batches, dataset, base=str(phi3), max_steps=4, four_bit=True)

    folder = Path(run.path)
    config = json.loads((folder / "adapter_config.json").read_text())
    assert set(config["target_modules"]) == PHI3_MODULES
    assert (config["r"], config["lora_alpha"], config["lora_dropout"]) == (16, 32, 0.05)
    assert (folder / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert run.steps == 4 and len(run.losses) == 4
    assert run.eval_loss_after < run.eval_loss_before  # it learned something held out
    loaded = load_model(str(phi3), cache_dir=small_batches.model_cache_dir, adapter=str(folder))
    assert isinstance(loaded.model, PeftModel) and loaded.adapter_id == run.adapter_id


def test_a_configured_target_that_matches_no_module_is_an_error(small_batches, phi3, dataset):
    llama_recipe = small_batches.model_copy(
        update={"lora_target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]}
    )
    with pytest.raises(
        TargetModulesError, match="LoRA target q_proj, k_proj, v_proj matches no module .* qkv_proj"
    ):
        train_adapter(llama_recipe, dataset, base=str(phi3), max_steps=1, four_bit=False)
    assert not llama_recipe.adapters_dir.exists() or not any(llama_recipe.adapters_dir.iterdir())


def test_the_loss_counts_only_the_answer_tokens(small_batches, phi3, tmp_path):
    from workers.generation.loading import load_model

    loaded = load_model(str(phi3), cache_dir=small_batches.model_cache_dir)
    trainer = sft_trainer(
        small_batches, loaded.model, loaded.tokenizer, [example(1)], [], 1, tmp_path / "out", None
    )
    batch = trainer.data_collator([trainer.train_dataset[0]])
    labels, ids = batch["labels"][0], batch["input_ids"][0]
    learned = loaded.tokenizer.decode(ids[labels != -100])
    assert learned.startswith("Error 1: IPsec is blocked [1].")
    assert "what is VPN error 1" in loaded.tokenizer.decode(ids[labels == -100])
