"""The prompts and interface phrases, shipped in the package (read via importlib.resources)."""
