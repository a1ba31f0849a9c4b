"""Replies in Slack from the workers: the message a task edits, and how answers and reports look."""
