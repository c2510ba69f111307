"""The assistant over HTTP for other tools: OpenAI-compatible /v1 and the REST /api."""
