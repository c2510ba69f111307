"""Make unstructured work offline: the one place that adapts it to this machine.

unstructured (>= 0.21) loads the spaCy model ``en_core_web_sm`` on first use and, when it
is missing, downloads it from GitHub; offline, every text format then fails with
``RuntimeError: Failed to download spaCy model``. We only need sentence splitting from
spaCy here (we always pass ``languages=["swe"]``, which turns off unstructured's English
verb checks), so a blank Swedish pipeline with a rule-based sentencizer replaces the
private loader ``unstructured.nlp.tokenize._get_nlp``.

This is also the one sanctioned place that writes ``os.environ``: unstructured and the
Hugging Face hub read their opt-outs (``DO_NOT_TRACK`` for unstructured's analytics ping,
``HF_HUB_OFFLINE``) from the process environment at import and call time, so they must be
set before unstructured is imported; no setting of ours can reach them otherwise.

``tests/test_unstructured_compat.py`` fails if an upgrade moves or renames the patched
function, so the shim breaks loudly rather than the app going back to downloading.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Any

_PATCHED_MODULE = "unstructured.nlp.tokenize"
_PATCHED_FUNCTION = "_get_nlp"

_lock = threading.Lock()
_installed = False


def _blank_swedish_pipeline() -> Any:
    import spacy

    nlp = spacy.blank("sv")
    nlp.add_pipe("sentencizer")
    return nlp


def patched_module() -> ModuleType:
    """The unstructured module whose spaCy loader we replace (imported, not yet patched)."""
    import importlib

    return importlib.import_module(_PATCHED_MODULE)


def ensure_offline_unstructured() -> None:
    """Set the opt-outs and install the blank spaCy pipeline; safe to call many times."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        os.environ["DO_NOT_TRACK"] = "1"
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["UNSTRUCTURED_DISABLE_NOTICE"] = "1"
        module = patched_module()
        original = getattr(module, _PATCHED_FUNCTION, None)
        if original is None or not callable(original):
            raise RuntimeError(
                f"{_PATCHED_MODULE}.{_PATCHED_FUNCTION} is gone: the installed unstructured "
                "version is not the pinned one; update ingest/unstructured_compat.py"
            )
        nlp = _blank_swedish_pipeline()

        def _get_nlp() -> Any:
            return nlp

        setattr(module, _PATCHED_FUNCTION, _get_nlp)
        _installed = True
