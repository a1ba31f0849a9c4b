"""The Slack process: a Bolt app that verifies, acknowledges and dedupes Slack's requests, sends
questions and admin jobs to the workers by task name, and records votes. It loads no model and
no vector store, so it starts in about a second and stays small."""
