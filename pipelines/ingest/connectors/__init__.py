"""Connectors: each kind of source behind one protocol (base.Connector)."""

from __future__ import annotations

from faqbot.contracts import SourceSpec
from faqbot.settings import Settings
from pipelines.ingest.connectors.base import Connector
from pipelines.ingest.fetch import is_url


def connector_for(target: str, spec: SourceSpec, settings: Settings) -> Connector:
    """The connector that reads `target` as `spec` says; raises ItemError for a target it
    refuses outright (a URL scheme or host that may not be fetched)."""
    from pipelines.ingest.connectors.confluence import ConfluenceConnector
    from pipelines.ingest.connectors.drive import DriveConnector
    from pipelines.ingest.connectors.files import FilesConnector, PageConnector
    from pipelines.ingest.connectors.git import GitConnector
    from pipelines.ingest.connectors.notion import NotionConnector
    from pipelines.ingest.connectors.slack_thread import SlackThreadConnector
    from pipelines.ingest.connectors.website import WebsiteConnector

    if spec.kind == "git":
        return GitConnector(target, spec, settings)
    if spec.kind == "confluence":
        return ConfluenceConnector(target, spec, settings)
    if spec.kind == "drive":
        return DriveConnector(target, spec, settings)
    if spec.kind == "notion":
        return NotionConnector(target, spec, settings)
    if spec.kind == "slack-thread":
        return SlackThreadConnector(target, settings)
    if spec.kind == "website":
        return WebsiteConnector(target, spec, settings)
    if is_url(target):
        return PageConnector(target, settings)
    return FilesConnector(target, settings)
