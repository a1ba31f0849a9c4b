"""Celery tasks and what they run: embeddings, the knowledge store, retrieval and generation."""
