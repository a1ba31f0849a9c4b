"""The layers of the README's architecture section, checked on every import of the source
(at module level and inside functions): a layer imports only itself and the layers below it,
the benchmarks are used only by the CLI, and no two modules import each other in a cycle."""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("faqbot", "bot", "workers", "pipelines", "cli")

# Each module belongs to the layer of the longest prefix it matches.
LAYER_OF_PREFIX = {
    "faqbot": "core",  # settings, contracts, database, queue, keys, visibility
    "bot": "bot",  # the Slack process
    "workers": "components",  # store, embedder, retrieval, answering, generation, replies
    "pipelines": "pipelines",  # ingestion, curation, training, evaluation, benchmarks
    "workers.tasks": "tasks",  # Celery tasks and the worker app
    "workers.app": "tasks",
    "cli": "cli",  # the composition root
    "faqbot.__main__": "cli",  # `python -m faqbot`: an entry point, like the console script
}
MAY_IMPORT = {
    "core": {"core"},
    "bot": {"core", "bot"},
    "components": {"core", "components"},
    "pipelines": {"core", "components", "pipelines"},
    "tasks": {"core", "components", "pipelines", "tasks"},
    "cli": {"core", "bot", "components", "pipelines", "tasks", "cli"},
}


def layer_of(module: str) -> str:
    matches = [p for p in LAYER_OF_PREFIX if module == p or module.startswith(p + ".")]
    return LAYER_OF_PREFIX[max(matches, key=len)]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def imports(graph: grimp.ImportGraph) -> list[dict]:
    return graph.find_matching_direct_imports(import_expression="** -> **")


def where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    lines = [
        d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)
    ]
    return f"{importer} imports {imported} (line {', '.join(map(str, lines))})"


def test_every_module_has_a_layer(graph):
    for module in graph.modules:
        assert layer_of(module) in MAY_IMPORT, module


def test_each_layer_imports_only_the_layers_below_it(graph):
    upward = [
        f"{where(graph, i['importer'], i['imported'])}: {layer_of(i['importer'])} may import "
        f"only {', '.join(sorted(MAY_IMPORT[layer_of(i['importer'])]))}"
        for i in imports(graph)
        if layer_of(i["imported"]) not in MAY_IMPORT[layer_of(i["importer"])]
    ]
    assert upward == []


def test_benchmarks_are_used_only_by_the_cli(graph):
    """Production code (evaluation, training) must not depend on benchmark code."""
    misplaced = [
        where(graph, i["importer"], i["imported"])
        for i in imports(graph)
        if i["imported"].startswith("pipelines.bench")
        and not i["importer"].startswith(("pipelines.bench", "cli"))
    ]
    assert misplaced == []


def test_no_import_cycles(graph):
    cycles = [
        " -> ".join(graph.find_shortest_chain(importer=i["imported"], imported=i["importer"]))
        + f" -> {i['imported']}"
        for i in imports(graph)
        if graph.chain_exists(importer=i["imported"], imported=i["importer"])
    ]
    assert cycles == []


def test_the_bot_imports_no_ml_or_vector_store_library():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, include_external_packages=True)
    heavy = {"torch", "transformers", "sentence_transformers", "langchain", "langchain_core"}
    heavy |= {"langchain_openai", "lancedb", "weaviate", "peft", "llama_cpp"}
    found = [
        where(graph, i["importer"], i["imported"])
        for i in imports(graph)
        if i["importer"].startswith("bot") and i["imported"].split(".")[0] in heavy
    ]
    assert found == []
