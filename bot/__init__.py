"""The Slack Bolt process. It stays light: no torch, transformers, langchain or vector store."""
