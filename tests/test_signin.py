"""Signing in for real: an OpenID Connect provider on loopback (``oidc-provider-mock``, built
on Authlib), the app started by ``assistant ui`` with sign-in configured, and Debian's
Chromium going through the provider's redirect flow as an employee, a manager and an admin.

The provider issues signed ID tokens with a ``groups`` claim; the app maps those groups to
roles and access groups by configuration, exactly as it would with Entra ID or Keycloak.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import Launch, wait_until_healthy
from fixtures_llm import free_port
from itsdangerous import URLSafeTimedSerializer
from oidc import run_provider
from playwright.sync_api import BrowserContext, Page, expect

from assistant.settings import AuditSettings, Settings
from assistant.trail import AuditTrail, open_database

REPO = Path(__file__).resolve().parents[1]
PAGE_MS = 60_000  # the first question opens the store and loads the embedding model
CLIENT_SECRET = "klienthemlighet-for-test"
COOKIE_SECRET = "kakhemlighet-for-test-" + "x" * 16
USERS = {
    "anna": ("Anna Medarbetare", ["personal"]),
    "maja": ("Maja Chef", ["chefer-alla", "grp-chefer"]),
    "adam": ("Adam Admin", ["it-admin", "grp-hr"]),
}
QUESTION = "Hur stort är löneutrymme 2025?"  # answered by a document of the chefer folder


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The provider as its own process on a free loopback port, with three staff members."""
    yield from run_provider(tmp_path_factory.mktemp("provider"), USERS, "--require-nonce")


@pytest.fixture(scope="module")
def app_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signin")


@pytest.fixture(scope="module")
def app_url(provider: str, indexed_examples: Settings, app_root: Path) -> Iterator[str]:
    """``assistant ui`` with sign-in through the provider, over a copy of the index."""
    root = app_root
    data_dir = root / "data"
    shutil.copytree(indexed_examples.data_dir, data_dir)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
        "ASSISTANT_ANSWER__MODE": "extractive",
        "ASSISTANT_AUTH__METADATA_URL": f"{provider}/.well-known/openid-configuration",
        "ASSISTANT_AUTH__CLIENT_ID": "dokumentassistent",
        "ASSISTANT_AUTH__CLIENT_SECRET": CLIENT_SECRET,
        "ASSISTANT_AUTH__COOKIE_SECRET": COOKIE_SECRET,
        "ASSISTANT_AUTH__REDIRECT_URI": "http://127.0.0.1:{port}/oauth2callback",
        "ASSISTANT_AUTH__ROLES": json.dumps(
            {"admin": ["it-admin"], "manager": ["chefer-alla"], "employee": ["personal"]}
        ),
        "ASSISTANT_AUTH__ACCESS_GROUPS": json.dumps({"grp-hr": "hr", "grp-chefer": "chefer"}),
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
    }
    command = [sys.executable, "-m", "cli.main", "ui", "--data-dir", str(data_dir),
               "--port", str(port), "--host", "127.0.0.1"]  # fmt: skip
    log_path = root / "app.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            wait_until_healthy(server, port, log_path)
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    output = log_path.read_text(errors="replace")
    assert CLIENT_SECRET not in output, "secrets never in the log"
    assert COOKIE_SECRET not in output


@pytest.fixture
def context(chromium: Launch) -> Iterator[BrowserContext]:
    context = chromium().new_context(viewport={"width": 1280, "height": 1200}, locale="sv-SE")
    yield context
    context.close()


def sign_in(page: Page, app_url: str, sub: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Logga in").click(timeout=PAGE_MS)
    # The provider's own page: pick the user, as a person would at the organisation's login.
    page.get_by_role("button", name=sub, exact=True).click(timeout=PAGE_MS)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(USERS[sub][0], timeout=PAGE_MS)


def ask(page: Page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_editable(timeout=PAGE_MS)
    box.fill(question)
    box.press("Enter")


def nav(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_role("link")
    return [text.strip().splitlines()[-1] for text in links.all_inner_texts()]  # not the icon


def test_an_employee_signs_in_reads_open_documents_and_signs_out(
    context: BrowserContext, app_url: str
) -> None:
    page = context.new_page()
    page.goto(app_url)
    expect(page.get_by_role("button", name="Logga in")).to_be_visible(timeout=PAGE_MS)
    expect(page.get_by_test_id("stChatInputTextArea")).to_have_count(0)

    sign_in(page, app_url, "anna")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("medarbetare")
    expect(sidebar).to_contain_text("inga (bara öppna dokument)")
    assert "Admin" not in nav(page)
    ask(page, QUESTION)
    answer = page.get_by_test_id("stChatMessage").last
    expect(answer).not_to_contain_text("Söker i dokumenten", timeout=PAGE_MS)
    # The thumbs come once the answer is complete and on record (a later test reads it).
    expect(answer.get_by_role("radio", name="Tummen ned")).to_be_visible(timeout=PAGE_MS)
    expect(answer).not_to_contain_text("3,4 procent")
    expect(answer).not_to_contain_text("lonerevision")

    # Opening the admin page's address directly shows no admin page either.
    page.goto(app_url + "admin")
    expect(page.get_by_test_id("stSidebar")).to_contain_text(USERS["anna"][0], timeout=PAGE_MS)
    expect(page.get_by_text("Synkronisera nu")).to_have_count(0)

    expect(page.get_by_text("Page not found")).to_be_visible(timeout=PAGE_MS)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Logga ut").click()
    end_session = page.get_by_role("button", name="End session")  # the provider's confirmation
    end_session.click(timeout=PAGE_MS)
    expect(page.get_by_role("button", name="Logga in")).to_be_visible(timeout=PAGE_MS)
    expect(page.get_by_text(USERS["anna"][0])).to_have_count(0)


def test_a_manager_and_an_admin_see_their_pages_and_documents(
    context: BrowserContext, app_url: str, app_root: Path
) -> None:
    manager = context.new_page()
    sign_in(manager, app_url, "maja")
    expect(manager.get_by_test_id("stSidebar")).to_contain_text("chef")
    assert nav(manager) == ["Fråga", "Sammanfatta", "Tillgänglighet"]
    ask(manager, QUESTION)
    expect(manager.get_by_test_id("stChatMessage").last).to_contain_text(
        "3,4 procent", timeout=PAGE_MS
    )
    context.clear_cookies()

    admin = context.new_page()
    sign_in(admin, app_url, "adam")
    expect(admin.get_by_test_id("stSidebar")).to_contain_text("administratör")
    assert nav(admin) == [
        "Fråga",
        "Sammanfatta",
        "Admin",
        "Utvärdering",
        "Granskning",
        "Tillgänglighet",
    ]
    # The trail names each signed-in person by the provider's id and name, with the role.
    db = app_root / "data" / "assistant.db"
    trail = AuditTrail(open_database(f"sqlite:///{db}"), AuditSettings())
    try:
        asked = {(r.user_id, r.user_name, r.role) for r in trail.records()}
    finally:
        trail.db.close()
    assert {("anna", "Anna Medarbetare", "employee"), ("maja", "Maja Chef", "manager")} <= asked
    admin.get_by_test_id("stSidebarNav").get_by_role("link", name="Admin").click()
    expect(admin.get_by_text("Synkronisera nu")).to_be_visible(timeout=PAGE_MS)
    expect(admin.get_by_test_id("stMetric").first).to_be_visible()


def test_a_tampered_sign_in_cookie_is_rejected(context: BrowserContext, app_url: str) -> None:
    page = context.new_page()
    sign_in(page, app_url, "anna")
    user = next(c for c in context.cookies() if c["name"] == "_streamlit_user")
    payload, _, signature = user["value"].strip('"').rpartition(".")
    # The first character: all six of its bits are signature (the last one's low bits are
    # padding, so "…A" and "…B" can decode to the same signature and be accepted).
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    # The admin's claims, signed by someone who does not know the app's cookie secret.
    admin = {"sub": "adam", "name": "Adam Admin", "groups": ["it-admin", "grp-hr"],
             "is_logged_in": True, "provider": "default", "iat": int(time.time()),
             "origin": app_url.rstrip("/")}  # fmt: skip
    guessed = URLSafeTimedSerializer("en-gissad-hemlighet", salt="_streamlit_user")
    for value in (f"{payload}.{flipped}", guessed.dumps(json.dumps(admin))):
        context.clear_cookies()
        context.add_cookies([{**user, "value": value}])
        page.goto(app_url)
        expect(page.get_by_role("button", name="Logga in")).to_be_visible(timeout=PAGE_MS)
        expect(page.get_by_text("Adam Admin")).to_have_count(0)
        expect(page.get_by_text("Anna Medarbetare")).to_have_count(0)
        expect(page.get_by_test_id("stChatInputTextArea")).to_have_count(0)

    # Control: the same cookie signed with the app's secret is taken, so the rejections
    # above come from the signature, not from a cookie of the wrong shape.
    real = URLSafeTimedSerializer(COOKIE_SECRET, salt="_streamlit_user")
    context.clear_cookies()
    context.add_cookies([{**user, "value": real.dumps(json.dumps(admin))}])
    page.goto(app_url)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Adam Admin", timeout=PAGE_MS)


def test_a_sign_in_older_than_max_session_hours_goes_through_the_provider_again(
    context: BrowserContext, app_url: str
) -> None:
    page = context.new_page()
    sign_in(page, app_url, "anna")
    user = next(c for c in context.cookies() if c["name"] == "_streamlit_user")
    cookies = URLSafeTimedSerializer(COOKIE_SECRET, salt="_streamlit_user")
    claims = json.loads(cookies.loads(user["value"].strip('"')))
    # What Streamlit keeps of the provider's ID token holds its issue and expiry times.
    assert {"iat", "exp"} <= claims.keys()
    assert abs(claims["iat"] - time.time()) < 120

    # The same sign-in nine hours later (the default max_session_hours is 8): the cookie is
    # re-signed with the app's secret, as Streamlit would still accept it for 30 days.
    old = {**claims, "iat": claims["iat"] - 9 * 3600, "exp": claims["exp"] - 9 * 3600}
    context.clear_cookies()
    context.add_cookies([{**user, "value": cookies.dumps(json.dumps(old))}])
    page.goto(app_url)
    expect(page.get_by_text("Din inloggning har gått ut. Logga in igen.")).to_be_visible(
        timeout=PAGE_MS
    )
    expect(page.get_by_test_id("stChatInputTextArea")).to_have_count(0)
    expect(page.get_by_text("Anna Medarbetare")).to_have_count(0)

    # Signing in again gives fresh claims, and the app is back.
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("button", name="anna", exact=True).click(timeout=PAGE_MS)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Anna Medarbetare", timeout=PAGE_MS)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_editable(timeout=PAGE_MS)
