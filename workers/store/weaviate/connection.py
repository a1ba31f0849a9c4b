"""Connecting to Weaviate (a server, or Weaviate Embedded); every failure is one line that
says what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import weaviate
from weaviate.classes.init import Auth

from workers.store.base import StoreUnavailable

if TYPE_CHECKING:
    from weaviate import WeaviateClient


GRPC_PORT = 50051
_USE_LANCE = "Unset FAQBOT_WEAVIATE_URL to use the embedded LanceDB store"


def one_line(exc: BaseException) -> str:
    """Client errors span lines; StoreUnavailable promises one."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def connect_embedded(data_dir: Path) -> WeaviateClient:
    try:
        return weaviate.connect_to_embedded(persistence_data_path=str(data_dir / "weaviate"))
    except Exception as exc:
        raise StoreUnavailable(
            "Weaviate Embedded could not start (it downloads its binary on first start: "
            f"{one_line(exc)}). {_USE_LANCE}, or point it at a running Weaviate "
            "(http://host:8080)."
        ) from exc


def connect_remote(url: str, api_key: str | None) -> WeaviateClient:
    """HTTP on the URL's host and port, gRPC on the same host at 50051."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreUnavailable(
            f"FAQBOT_WEAVIATE_URL={url!r} is neither 'embedded' nor http(s)://host:port. "
            "Fix it, or unset it to use the embedded LanceDB store."
        )
    secure = parts.scheme == "https"
    try:
        return weaviate.connect_to_custom(
            http_host=parts.hostname,
            http_port=port or (443 if secure else 8080),
            http_secure=secure,
            grpc_host=parts.hostname,
            grpc_port=GRPC_PORT,
            grpc_secure=secure,
            auth_credentials=Auth.api_key(api_key) if api_key else None,
        )
    except Exception as exc:
        raise StoreUnavailable(
            f"Could not connect to Weaviate at {url} (gRPC port {GRPC_PORT}): {one_line(exc)} "
            f"Start Weaviate there, fix FAQBOT_WEAVIATE_URL, or unset it to use the embedded "
            "LanceDB store."
        ) from exc
