"""Reporters: read an Evaluation, write a file (console, JUnit, HTML, JSON, SARIF, Markdown)."""
