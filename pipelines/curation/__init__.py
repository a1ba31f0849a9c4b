"""Turning what employees said about answers into versioned training data."""
