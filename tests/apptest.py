"""The app under Streamlit's AppTest, over a copy of the indexed example documents.

The fixtures ``index`` (a module's copy of the session's index) and ``start`` (runs the app
as a local user or a signed-in one) are registered in ``conftest.py``; the functions here
find and press what the page shows.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Button, UnknownElement

from assistant.settings import Settings, load_settings
from assistant.store import open_store
from ui.components import viewer_key

APP = Path(__file__).resolve().parents[1] / "ui" / "app.py"
TIMEOUT = 60  # the first run of a test opens the store and loads the embedding model


@dataclass(frozen=True)
class Index:
    data_dir: Path
    documents: int
    chunks: int


@pytest.fixture(scope="module")
def index(
    tmp_path_factory: pytest.TempPathFactory, indexed_examples: Settings, example_docs: Path
) -> Index:
    """A copy of the session's indexed examples (DATA_DIR/examples holds the documents)."""
    data_dir = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(indexed_examples.data_dir, data_dir)
    shutil.copytree(example_docs, data_dir / "examples")
    store = open_store(load_settings(data_dir=data_dir))
    try:
        return Index(data_dir, len(store.doc_states()), store.count())
    finally:
        store.close()


Start = Callable[..., AppTest]

# Sign-in as configured at a municipality: provider groups give roles and access groups.
# AppTest never talks to the provider: it hands the app the claims of a signed-in user.
ROLE_GROUPS = {"admin": ["it-admin"], "manager": ["chefer-alla"], "employee": ["personal"]}
ACCESS_GROUPS = {"grp-hr": "hr", "grp-chefer": "chefer"}
ROLE_OF = {"admin": "it-admin", "manager": "chefer-alla", "employee": "personal"}


def signed_in(monkeypatch: pytest.MonkeyPatch, **auth: str) -> None:
    """Configure sign-in (the provider is never contacted by AppTest)."""
    values = {
        "METADATA_URL": "http://127.0.0.1:9/.well-known/openid-configuration",
        "CLIENT_ID": "dokumentassistent",
        "CLIENT_SECRET": "klienthemlighet",
        "COOKIE_SECRET": "c" * 32,
        "ROLES": json.dumps(ROLE_GROUPS),
        "ACCESS_GROUPS": json.dumps(ACCESS_GROUPS),
        **auth,
    }
    for key, value in values.items():
        monkeypatch.setenv(f"ASSISTANT_AUTH__{key}", value)


def claims(role: str = "admin", groups: Sequence[str] = (), **more: object) -> dict[str, object]:
    """The ID-token claims of a user with this role and these access groups, issued now."""
    provider_groups = [ROLE_OF[role], *(f"grp-{g}" for g in groups)]
    issued = {"iat": int(time.time())}
    return {"sub": f"{role}-1", "name": f"Test {role}", "groups": provider_groups, **issued, **more}


@pytest.fixture
def start(index: Index, monkeypatch: pytest.MonkeyPatch) -> Iterator[Start]:
    """Runs the app against the index; afterwards the cached runtime (and store) is closed.

    ``start()`` is the one local user of an app without sign-in (on 127.0.0.1);
    ``start(groups)`` is a signed-in admin whose provider groups map to ``groups``;
    ``start(user=claims)`` is any signed-in user (``user={}``: nobody signed in).
    """
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(index.data_dir))
    monkeypatch.setenv("ASSISTANT_ANSWER__MODE", "extractive")
    previous = st_config.get_option("server.address")

    def run(groups: Sequence[str] | None = None, user: dict[str, object] | None = None) -> AppTest:
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if groups is not None and user is None:
            user = claims("admin", groups)
        if user is not None:
            signed_in(monkeypatch)
            issued = {"iat": int(time.time())} if user else {}  # a sign-in of now
            app.user = {"is_logged_in": bool(user), **issued, **user}
        else:
            for name in [n for n in os.environ if n.startswith("ASSISTANT_AUTH__")]:
                monkeypatch.delenv(name)
        app.run()
        assert not app.exception, app.exception
        return app

    st.cache_resource.clear()
    yield run
    st.cache_resource.clear()  # on_release closes the runtime: the store has one owner
    st_config.set_option("server.address", previous)


def ask(app: AppTest, question: str) -> AppTest:
    app.chat_input[0].set_value(question).run()
    assert not app.exception, app.exception
    return app


def open_viewers(app: AppTest, turn: str = "0", citations: int = 8) -> AppTest:
    """Open the turn's source viewers ("Visa källan", drawn only while open) and run."""
    for n in range(1, citations + 1):
        app.session_state[viewer_key(turn, n)] = True
    app.run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest) -> str:
    """Every piece of text the page shows, Markdown escapes removed."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for e in getattr(app, kind)]  # fmt: skip
    parts += [e.value for e in app.html]
    return "\n".join(parts).replace("\\", "")


def page_images(app: AppTest) -> list[tuple[str, str]]:
    """The source viewers' page images: (caption, text alternative) of each."""
    found = []
    for element in app.html:
        alt = re.search(r'<img [^>]*alt="([^"]*)"', element.value)
        caption = re.search(r"<figcaption>(.*?)</figcaption>", element.value)
        if alt and caption:
            found.append((html.unescape(caption.group(1)), html.unescape(alt.group(1))))
    return found


def button(where: AppTest | Block, label: str) -> Button:
    return next(b for b in where.button if b.label == label)


def served(element: UnknownElement, data: bytes, mime: str, file_name: str) -> bool:
    """Whether the download button serves exactly ``data`` as ``file_name`` (its URL names
    the file's id, a hash of content, type and file name)."""
    storage = MemoryMediaFileStorage("/media")
    file_id = storage.load_and_get_id(data, mime, MediaFileKind.DOWNLOADABLE, file_name)
    return bool(PurePosixPath(element.proto.url).stem == file_id)
