"""The source viewer hands out an original file only as it was indexed: real files, real
links and Streamlit's AppTest running the viewer. A link put in a document's place (to a
secret outside the folder, or to a restricted file inside it), a file overwritten with
other content and a folder that now leads outside every document root all get the
indexed passage and a notice, never the bytes; an unchanged file is served exactly."""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pypdfium2 as pdfium
import pytest
from apptest import page_images
from streamlit.runtime.media_file_storage import MediaFileKind
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from assistant.query.contract import Source
from ui.original import OriginalRefused, read_original, synced_root

SECRET = "ASSISTANT_AUTH__COOKIE_SECRET=hemlig-kaka-0123456789abcdef"
SALARY = "Lönetabell: Anna Berg 48 300 kronor i månaden."
POLICY = "# Friskvård\n\nFriskvårdsbidraget är 3 000 kronor per kalenderår.\n"
PASSAGE = "Friskvårdsbidraget är 3 000 kronor per kalenderår."
CHANGED = "inte längre den som indexerades"


@dataclass(frozen=True)
class Share:
    root: Path  # the configured document root
    policy: Path  # an open document, indexed
    salary: Path  # a restricted document inside the same tree
    env: Path  # the app's secrets, outside every root


@pytest.fixture
def share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Share:
    root = tmp_path / "delat"
    (root / "personal").mkdir(parents=True)
    (root / "hr").mkdir()
    (root / "hr" / "access.toml").write_text('groups = ["hr"]\n', encoding="utf-8")
    salary = root / "hr" / "lonetabell.md"
    salary.write_text(SALARY, encoding="utf-8")
    policy = root / "personal" / "friskvard.md"
    policy.write_text(POLICY, encoding="utf-8")
    env = tmp_path / "app" / ".env"
    env.parent.mkdir()
    env.write_text(SECRET, encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_INGEST__ROOTS", json.dumps([str(root)]))
    return Share(root, policy, salary, env)


def indexed(path: Path, root: Path, **more: object) -> Source:
    """The citation of ``path`` as the index holds it: its content now, its place."""
    values: dict[str, object] = {
        "n": 1,
        "file": path.name,
        "page": None,
        "heading": None,
        "quote": PASSAGE,
        "doc_id": "d",
        "chunk_id": "c",
        "score": 0.9,
        "source": path.as_posix(),
        "content_hash": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rel_path": path.relative_to(root).as_posix(),
    }
    return Source(**(values | more))  # type: ignore[arg-type]


def _viewer_page(source: object, passage: str) -> None:
    """Run as a script by AppTest: only builtins in the signature."""
    from ui.source_viewer import source_viewer

    source_viewer(source, passage, "k")  # type: ignore[arg-type]


def view(source: Source) -> AppTest:
    app = AppTest.from_function(_viewer_page, args=(source, PASSAGE), default_timeout=30)
    app.run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "info", "error")
             for e in getattr(app, kind)]  # fmt: skip
    return "\n".join([*parts, *(h.value for h in app.html)])


def served(app: AppTest, data: bytes, file_name: str) -> bool:
    """Whether the viewer's one download button hands out exactly ``data`` (its URL names
    the file's id, a hash of content, type and file name)."""
    [element] = app.get("download_button")
    mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    storage = MemoryMediaFileStorage("/media")
    file_id = storage.load_and_get_id(data, mime, MediaFileKind.DOWNLOADABLE, file_name)
    return bool(PurePosixPath(element.proto.url).stem == file_id)


def refused(app: AppTest, *secrets: str) -> None:
    """The viewer said why and showed the indexed passage only: no bytes of the file."""
    assert not app.get("download_button"), "no original is offered"
    assert not page_images(app), "no page image"
    text = shown(app)
    assert CHANGED in text, text
    assert "<mark>Friskvårdsbidraget är 3 000 kronor" in text, "the indexed passage is shown"
    for secret in secrets:
        assert secret not in text


def test_an_unchanged_original_is_served_as_indexed(share: Share) -> None:
    app = view(indexed(share.policy, share.root))
    assert served(app, POLICY.encode(), "friskvard.md")
    assert CHANGED not in shown(app)


def test_a_web_document_links_to_its_live_page_and_a_file_does_not(share: Share) -> None:
    url = "https://intranet.kommun.se/styrdokument/friskvard"
    [link] = view(indexed(share.policy, share.root, url=url)).get("link_button")
    assert link.proto.url == url
    assert link.proto.label == "Öppna sidan"
    assert not view(indexed(share.policy, share.root)).get("link_button")
    assert not view(indexed(share.policy, share.root, url="javascript:alert(1)")).get("link_button")


def test_a_link_to_a_secret_in_place_of_a_document_is_not_served(share: Share) -> None:
    source = indexed(share.policy, share.root)
    share.policy.unlink()
    share.policy.symlink_to(share.env)  # a writer of the share puts a link in its place
    refused(view(source), SECRET)
    with pytest.raises(OriginalRefused):
        read_original(share.policy, source.content_hash, [share.root])


def test_a_link_to_a_restricted_file_inside_the_tree_is_not_served(share: Share) -> None:
    source = indexed(share.policy, share.root)
    share.policy.unlink()
    share.policy.symlink_to(share.salary)  # bypasses hr/access.toml
    refused(view(source), SALARY)


def test_a_link_is_refused_even_to_the_indexed_content(share: Share) -> None:
    source = indexed(share.policy, share.root)
    copy = share.root / "personal" / "kopia.md"
    share.policy.rename(copy)
    share.policy.symlink_to(copy)
    refused(view(source))


def test_a_file_overwritten_in_place_is_not_served(share: Share) -> None:
    source = indexed(share.policy, share.root)
    share.policy.write_text(SALARY, encoding="utf-8")  # same path, same inode, other text
    refused(view(source), SALARY)


def test_a_path_whose_real_place_is_outside_every_root_is_not_served(
    share: Share, tmp_path: Path
) -> None:
    """A folder of the share replaced by a link to a folder elsewhere; the file there even
    has the indexed content: it is still not where it was indexed."""
    source = indexed(share.policy, share.root)
    elsewhere = tmp_path / "elsewhere"
    (share.root / "personal").rename(elsewhere)
    (share.root / "personal").symlink_to(elsewhere, target_is_directory=True)
    refused(view(source))
    # A plain file under no configured root, and no synced folder the index records.
    refused(view(indexed(elsewhere / "friskvard.md", tmp_path, rel_path="")))


def test_a_pdf_page_is_rendered_from_the_verified_file_only(share: Share) -> None:
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    path = share.root / "personal" / "blankett.pdf"
    path.write_bytes(out.getvalue())
    source = indexed(path, share.root, page=1)
    app = view(source)
    assert [caption for caption, _ in page_images(app)] == ["blankett.pdf, sida 1"]
    path.write_bytes(out.getvalue() + b"\n% appended after indexing\n")
    refused(view(source))


def test_a_missing_original_is_named_without_the_server_path(share: Share) -> None:
    source = indexed(share.policy, share.root)
    share.policy.unlink()
    app = view(source)
    [warning] = app.warning
    assert "personal/friskvard.md" in warning.value
    assert str(share.root) not in shown(app), "no absolute server path"
    assert not app.get("download_button")


def test_a_folder_synced_by_the_cli_serves_its_originals(
    share: Share, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``assistant ingest PATH`` may sync a folder the settings do not name: the index
    records the folder (path and path below it), and that is a root too."""
    monkeypatch.delenv("ASSISTANT_INGEST__ROOTS")
    assert served(view(indexed(share.policy, share.root)), POLICY.encode(), "friskvard.md")
    assert synced_root("/srv/delat/personal/a.md", "personal/a.md") == Path("/srv/delat")
    for source, below in [("/srv/a.md", "b.md"), ("/srv/a.md", ""), ("/a.md", "../a.md")]:
        assert synced_root(source, below) is None


def _card_page(source: object, open_viewer: bool) -> None:
    """A citation card as answers show it, its viewer opened or not (AppTest script)."""
    import streamlit as st

    from ui.components import citation_card, viewer_key

    if open_viewer:
        st.session_state[viewer_key("a", 1)] = True
    citation_card(source, "Friskvårdsbidraget är 3 000 kronor per kalenderår.", "a")  # type: ignore[arg-type]


def test_the_original_is_read_only_when_its_viewer_is_opened(share: Share) -> None:
    source = indexed(share.policy, share.root)
    share.policy.write_text(SALARY, encoding="utf-8")
    closed = AppTest.from_function(_card_page, args=(source, False)).run()
    assert not closed.exception, closed.exception
    assert [e.label for e in closed.expander] == ["Visa källan"]
    assert CHANGED not in shown(closed), "a closed viewer does not look at the file"
    opened = AppTest.from_function(_card_page, args=(source, True)).run()
    assert not opened.exception, opened.exception
    refused(opened, SALARY)
