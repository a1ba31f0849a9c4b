"""Shared core of faqbot: settings, the command line, and small records used by every process.

Imports nothing heavy, so the Slack bot process can depend on it.
"""
