"""Answering a question: retrieve, refuse or generate, then check the citations."""
