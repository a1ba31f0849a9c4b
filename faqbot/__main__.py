"""`python -m faqbot` runs the faqbot command."""

from faqbot.cli import app

app()
