"""`python -m faqbot` runs the faqbot command: an entry point, like the console script, so it
may start the composition root (cli) that the core itself never imports."""

from cli import app

app()
