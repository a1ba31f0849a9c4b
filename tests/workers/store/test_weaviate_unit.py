"""The Weaviate backend's parts that need no server: connect failures, filters, version dedupe."""

from __future__ import annotations

import socket
import time

import pytest
from weaviate.classes.config import Tokenization
from weaviate.classes.query import Filter
from weaviate.collections.classes.filters import _FilterOr

from faqbot.settings import Settings
from workers.store import StoreUnavailable, open_store
from workers.store.weaviate import (
    newest_only,
    properties,
    visible_to,
    visible_wherever,
)


def _closed_port() -> int:
    """A port nothing listens on: bound once to get a free number, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_one_line(error: StoreUnavailable) -> str:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message
    assert "FAQBOT_WEAVIATE_URL" in message
    return message


def test_embedded_that_cannot_start_is_one_line(tmp_path, monkeypatch):
    # The binary download goes through urllib; a dead proxy makes it fail fast even online.
    dead_proxy = f"http://127.0.0.1:{_closed_port()}"
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path, weaviate_url="embedded")
    started = time.monotonic()
    try:
        store = open_store(settings)
    except StoreUnavailable as error:
        message = _assert_one_line(error)
        assert "Weaviate Embedded could not start" in message
    else:  # a cached binary started after all; nothing to test here
        store.close()
        pytest.skip("Weaviate Embedded started from a cached binary")
    assert time.monotonic() - started < 30


def test_closed_port_is_one_line(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = Settings(data_dir=tmp_path, weaviate_url=url)
    with pytest.raises(StoreUnavailable) as caught:
        open_store(settings)
    assert url in _assert_one_line(caught.value)


@pytest.mark.parametrize("url", ["ftp://weaviate:8080", "weaviate:8080", "http://host:notaport"])
def test_unusable_url_is_one_line(tmp_path, url):
    with pytest.raises(StoreUnavailable) as caught:
        open_store(Settings(data_dir=tmp_path, weaviate_url=url))
    assert "neither 'embedded' nor" in _assert_one_line(caught.value)


def test_visible_to_matches_any_label():
    expected = Filter.by_property("visibility").contains_any(["public", "C01"])
    assert visible_to(["public", "C01"]) == expected


def test_visible_wherever_public_chunk_needs_public_neighbours():
    assert visible_wherever(["public"]) == Filter.by_property("visibility").contains_any(["public"])


def test_visible_wherever_restricted_chunk_allows_public_or_a_superset():
    built = visible_wherever(["C01", "C02"])
    assert isinstance(built, _FilterOr)
    assert built.filters == [
        Filter.by_property("visibility").contains_any(["public"]),
        Filter.by_property("visibility").contains_all(["C01", "C02"]),
    ]


def _row(source: str, doc: str, version: int | None, name: str) -> dict:
    row = {"source_id": source, "doc_key": doc, "name": name}
    if version is not None:
        row["ingest_version"] = version
    return row


def test_newest_only_keeps_the_newest_version_of_each_document_in_order():
    rows = [
        _row("s1", "a", 1, "a-old-0"),
        _row("s1", "a", 2, "a-new-0"),
        _row("s1", "b", 1, "b-only"),
        _row("s2", "a", 1, "other-source-a"),
        _row("s1", "a", 1, "a-old-1"),
        _row("s1", "a", 2, "a-new-1"),
    ]
    kept = [row["name"] for row in newest_only(rows)]
    assert kept == ["a-new-0", "b-only", "other-source-a", "a-new-1"]


def test_newest_only_reads_properties_through_the_accessor_and_missing_version_is_oldest():
    hits = [("x", _row("s", "d", None, "unversioned")), ("y", _row("s", "d", 3, "v3"))]
    assert newest_only(hits, lambda hit: hit[1]) == [hits[1]]
    assert newest_only([]) == []


def test_only_search_text_is_bm25_searchable_and_keys_match_exactly():
    props = {p.name: p for p in properties()}
    assert [name for name, p in props.items() if p.indexSearchable] == ["search_text"]
    for name in ("chunk_id", "source_id", "doc_key", "visibility"):
        assert props[name].tokenization == Tokenization.FIELD
        assert props[name].indexFilterable
