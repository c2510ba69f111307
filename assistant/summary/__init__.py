"""Summaries: a manager's draft of whole documents, its parts, what changed, the files to send."""
