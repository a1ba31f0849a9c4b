"""Turning files, folders and web pages into chunks in the knowledge store."""
