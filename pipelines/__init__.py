"""Batch jobs: ingestion, curation, training, evaluation and benchmarks."""
