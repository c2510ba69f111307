"""The API as a real process (``assistant api``) over an indexed copy of the examples,
called by the real ``openai`` client and over HTTP: without a provider as the one local
user on loopback, and with a real OpenID Connect provider on loopback (the mock the
sign-in tests use) issuing the tokens: an employee, a manager; expired, wrong-audience,
wrongly signed and missing tokens refused. Answers are extractive (no language model).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_process import REPO, mcp_calls, start_api
from fixtures_llm import LocalLLM
from joserfc import jwt
from joserfc.jwk import RSAKey
from oidc import CLIENT_ID, id_token, run_provider
from openai import AuthenticationError, OpenAI

from api.auth import LEEWAY_S
from api.limits import RateLimiter
from assistant.query.prompts import load_phrases
from assistant.settings import Settings, load_settings
from assistant.trail import AuditTrail, open_database

CLIENT_SECRET = "api-test-client-secret-9f2c"
NO_SUPPORT = load_phrases("sv").no_support
PER_MINUTE = 40  # the signed-in API's rate limit per user
# Provider users (groups as the provider names them): an employee of no access group
# (open documents only), an HR employee, and a manager.
USERS = {
    "bo": ("Bo Berg", ["personal"]),
    "anna": ("Anna Andersson", ["personal", "grp-hr"]),
    "chef": ("Chef Chefsson", ["chefer-alla", "grp-chefer"]),
    "adam": ("Adam Admin", ["it-admin"]),  # an admin of no access group
}
AUTH_ENV = {
    "ASSISTANT_AUTH__CLIENT_ID": CLIENT_ID,
    "ASSISTANT_AUTH__CLIENT_SECRET": CLIENT_SECRET,
    "ASSISTANT_AUTH__COOKIE_SECRET": "api-test-cookie-secret-0123456789abcdef",
    "ASSISTANT_AUTH__ROLES": json.dumps(
        {"admin": ["it-admin"], "manager": ["chefer-alla"], "employee": ["personal"]}
    ),
    "ASSISTANT_AUTH__ACCESS_GROUPS": json.dumps({"grp-hr": "hr", "grp-chefer": "chefer"}),
}


@pytest.fixture(scope="module")
def local_api(
    indexed_examples: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    many = {"ASSISTANT_API__REQUESTS_PER_MINUTE": "1000"}
    yield from start_api(
        tmp_path_factory.mktemp("api-local"), indexed_examples, many, CLIENT_SECRET
    )


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The OpenID Connect provider on loopback; its tokens live 10 seconds."""
    yield from run_provider(tmp_path_factory.mktemp("provider"), USERS, "--token-max-age", "10")


@pytest.fixture(scope="module")
def signed_in_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-signed-in")


@pytest.fixture(scope="module")
def signed_in_api(provider: str, indexed_examples: Settings, signed_in_root: Path) -> Iterator[str]:
    env = {
        **AUTH_ENV,
        "ASSISTANT_AUTH__METADATA_URL": f"{provider}/.well-known/openid-configuration",
        "ASSISTANT_API__REQUESTS_PER_MINUTE": str(PER_MINUTE),
    }
    yield from start_api(signed_in_root, indexed_examples, env, CLIENT_SECRET)


def token(provider: str, sub: str, client_id: str = CLIENT_ID) -> str:
    return id_token(provider, sub, CLIENT_SECRET, client_id)


# -- without a provider: the local user on loopback ------------------------------------


def test_the_openai_client_gets_a_cited_answer(local_api: str) -> None:
    client = OpenAI(base_url=f"{local_api}/v1", api_key="not-needed-on-loopback")
    assert [m.id for m in client.models.list()] == ["kommun-assistenten"]
    done = client.chat.completions.create(
        model="kommun-assistenten",
        messages=[{"role": "user", "content": "När ska sommarsemester sökas?"}],
    )
    assert "31 mars" in (done.choices[0].message.content or "")
    extra = done.model_extra or {}
    assert extra["refused"] is False
    assert extra["citations"][0]["file"] == "semester.md"
    assert extra["citations"][0]["url"] is None, "a folder's file has no live page"
    assert "31 mars" in extra["citations"][0]["quote"]

    chunks = list(
        client.chat.completions.create(
            model="kommun-assistenten",
            messages=[{"role": "user", "content": "När ska sommarsemester sökas?"}],
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "31 mars" in text
    last = chunks[-1].model_extra or {}
    assert last["citations"][0]["file"] == "semester.md"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_question_the_documents_do_not_answer_is_refused(local_api: str) -> None:
    client = OpenAI(base_url=f"{local_api}/v1", api_key="x")
    done = client.chat.completions.create(
        model="kommun-assistenten",
        messages=[{"role": "user", "content": "Vad kostar ett busskort för pensionärer?"}],
    )
    assert done.choices[0].message.content == NO_SUPPORT
    assert (done.model_extra or {})["refused"] is True
    assert (done.model_extra or {})["citations"] == []


def test_rest_ask_and_search(local_api: str) -> None:
    asked = httpx.post(f"{local_api}/api/ask", json={"question": "När ska sommarsemester sökas?"})
    assert asked.status_code == 200
    body = asked.json()
    assert set(body) >= {"answer", "refused", "citations", "retrieved", "mode", "form"}
    assert "31 mars" in body["answer"]
    found = httpx.post(
        f"{local_api}/api/search", json={"question": "sommarsemester ansökan", "limit": 3}
    ).json()
    assert len(found["passages"]) <= 3
    assert found["passages"][0]["file"] == "semester.md"
    assert "source" not in found["passages"][0], "no server path in a response"
    assert httpx.get(f"{local_api}/api/ready").json() == {"status": "ready"}
    schema = httpx.get(f"{local_api}/openapi.json").json()
    assert {"/api/ask", "/api/search", "/v1/chat/completions"} <= set(schema["paths"])
    too_long = httpx.post(f"{local_api}/api/ask", json={"question": "x" * 5000})
    assert too_long.status_code == 422


def test_a_personal_number_is_masked_before_anything_sees_it(local_api: str) -> None:
    asked = httpx.post(
        f"{local_api}/api/ask", json={"question": "Gäller semesterreglerna 19121212-1212?"}
    ).json()
    assert "19121212-1212" not in json.dumps(asked)
    assert "121212-1212" not in json.dumps(asked)


def test_another_address_without_sign_in_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "api",
            "--data-dir",
            str(tmp_path),
            "--host",
            "0.0.0.0",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2, refused.stderr
    assert "without sign-in" in refused.stderr


# -- with the provider: bearer tokens ---------------------------------------------------


def _says(response: object, word: str) -> bool:
    return word in json.dumps(response, ensure_ascii=False).lower()


def test_an_employee_gets_only_what_their_groups_may_read(
    provider: str, signed_in_api: str
) -> None:
    bo = OpenAI(base_url=f"{signed_in_api}/v1", api_key=token(provider, "bo"))
    done = bo.chat.completions.create(
        model="kommun-assistenten",
        messages=[{"role": "user", "content": "När ska sommarsemester sökas?"}],
    )
    assert "31 mars" in (done.choices[0].message.content or ""), "an open document"
    # The chefer folder (for the chefer and hr groups) is not his to read.
    salary = {"question": "Hur stort är löneutrymme 2025?"}
    for where in ("/api/search", "/api/ask"):
        found = httpx.post(
            f"{signed_in_api}{where}", json=salary, headers=_bearer(provider, "bo"), timeout=60
        ).json()
        assert not _says(found, "3,4 procent"), where
        assert not _says(found, "lonerevision"), where
    salary_chat = bo.chat.completions.create(
        model="kommun-assistenten", messages=[{"role": "user", "content": salary["question"]}]
    )
    assert not _says(salary_chat.model_dump(), "3,4 procent")
    for reader in ("anna", "chef"):  # hr and chefer may read it
        theirs = httpx.post(
            f"{signed_in_api}/api/search", json=salary, headers=_bearer(provider, reader)
        ).json()
        assert _says(theirs["passages"], "3,4 procent"), reader


def _bearer(provider: str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(provider, sub)}"}


def test_bad_tokens_are_refused(provider: str, signed_in_api: str) -> None:
    ask = {"question": "När ska sommarsemester sökas?"}
    assert httpx.post(f"{signed_in_api}/api/ask", json=ask).status_code == 401, "no token"
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{signed_in_api}/v1", api_key="not-a-token").models.list()

    other_app = token(provider, "anna", client_id="another-app")
    forged = jwt.encode(
        {"alg": "RS256", "kid": "forged"},
        {
            "iss": provider,
            "aud": CLIENT_ID,
            "sub": "anna",
            "exp": int(time.time()) + 600,
            "groups": ["it-admin", "grp-hr", "grp-chefer"],
        },
        RSAKey.generate_key(2048),
    )
    for bad in (other_app, forged):
        refused = httpx.post(
            f"{signed_in_api}/api/ask", json=ask, headers={"Authorization": f"Bearer {bad}"}
        )
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "Bearer"

    expiring = token(provider, "anna")
    assert (
        httpx.get(
            f"{signed_in_api}/v1/models", headers={"Authorization": f"Bearer {expiring}"}
        ).status_code
        == 200
    )
    time.sleep(10 + LEEWAY_S + 1)  # its lifetime, and the leeway allowed for clocks
    expired = httpx.get(
        f"{signed_in_api}/v1/models", headers={"Authorization": f"Bearer {expiring}"}
    )
    assert expired.status_code == 401


# -- the rest of the REST API and the MCP server ----------------------------------------


def test_an_mcp_client_lists_and_calls_the_tools(local_api: str) -> None:
    names, (found, answered, documents) = mcp_calls(
        local_api,
        [
            ("search_documents", {"question": "sommarsemester ansökan", "limit": 2}),
            ("ask", {"question": "När ska sommarsemester sökas?"}),
            ("list_documents", {}),
        ],
    )
    assert set(names) == {"search_documents", "ask", "get_passage", "list_documents"}
    assert found["passages"][0]["file"] == "semester.md"
    assert "31 mars" in answered["answer"]
    assert "semester.md" in {d["file"] for d in documents["documents"]}
    chunk = found["passages"][0]["chunk_id"]
    _, [passage] = mcp_calls(local_api, [("get_passage", {"chunk_id": chunk})])
    assert passage["file"] == "semester.md"
    assert "31 mars" in passage["text"]


def test_every_answer_is_in_the_audit_trail_with_its_client(
    provider: str, signed_in_api: str, signed_in_root: Path
) -> None:
    question = "Hur många dagar sommarsemester har jag rätt till?"
    bo = token(provider, "bo")
    headers = {"Authorization": f"Bearer {bo}"}
    asked = httpx.post(f"{signed_in_api}/api/ask", json={"question": question}, headers=headers)
    OpenAI(base_url=f"{signed_in_api}/v1", api_key=bo).chat.completions.create(
        model="kommun-assistenten", messages=[{"role": "user", "content": question}]
    )
    mcp_calls(signed_in_api, [("ask", {"question": question})], bo)
    settings = load_settings(data_dir=signed_in_root / "data")
    trail = AuditTrail(open_database(settings.database_url), settings.audit)
    try:
        mine = [r for r in trail.records() if r.question == question]
    finally:
        trail.db.close()
    assert sorted(r.client for r in mine) == ["api", "mcp", "openai"]
    assert {(r.user_id, r.role, r.kind) for r in mine} == {("bo", "employee", "answer")}
    assert asked.json()["record_id"] in {r.id for r in mine}


def test_documents_feedback_and_summaries(local_api: str) -> None:
    documents = httpx.get(f"{local_api}/api/documents").json()["documents"]
    assert {"semester.md", "resepolicy.pdf"} <= {d["file"] for d in documents}
    assert all("source" not in d and "groups" not in d for d in documents)
    asked = httpx.post(f"{local_api}/api/ask", json={"question": "När ska sommarsemester sökas?"})
    record_id = asked.json()["record_id"]
    given = httpx.post(
        f"{local_api}/api/feedback",
        json={"record_id": record_id, "score": 0, "reason": "incomplete", "comment": "Kort"},
    )
    assert given.status_code == 204, given.text
    draft = httpx.post(
        f"{local_api}/api/summarize", json={"documents": ["resepolicy.pdf"]}, timeout=120
    )
    assert draft.status_code == 200, draft.text
    assert draft.json()["citations"], "every sentence of a draft is cited"


def test_the_tools_and_documents_keep_to_the_callers_groups(
    provider: str, signed_in_api: str
) -> None:
    bo = token(provider, "bo")
    salary = {"question": "Hur stort är löneutrymme 2025?"}
    names, (documents, found, answered) = mcp_calls(
        signed_in_api,
        [("list_documents", {}), ("search_documents", salary), ("ask", salary)],
        bo,
    )
    assert "ask" in names
    files = {d["file"] for d in documents["documents"]}
    assert "semester.md" in files
    assert not files & {"lonerevision-2025-instruktion.md", "lonekartlaggning-2024.md"}
    assert not _says(found, "3,4 procent")
    assert not _says(found, "lonerevision")
    assert not _says(answered, "3,4 procent")
    _, [hers] = mcp_calls(signed_in_api, [("search_documents", salary)], token(provider, "anna"))
    assert _says(hers, "3,4 procent"), "the control: hr may read it"
    secret = next(p["chunk_id"] for p in hers["passages"] if "3,4 procent" in p["quote"])
    _, [withheld] = mcp_calls(signed_in_api, [("get_passage", {"chunk_id": secret})], bo)
    assert not _says(withheld, "3,4 procent"), withheld
    assert "error" in withheld
    assert httpx.post(f"{signed_in_api}/mcp/", json={}).status_code == 401, "no token"

    headers = {"Authorization": f"Bearer {bo}"}
    listed = httpx.get(f"{signed_in_api}/api/documents", headers=headers).json()["documents"]
    assert {d["file"] for d in listed} == files
    chef = {"Authorization": f"Bearer {token(provider, 'chef')}"}
    theirs = httpx.get(f"{signed_in_api}/api/documents", headers=chef).json()["documents"]
    assert "lonerevision-2025-instruktion.md" in {d["file"] for d in theirs}
    refused = httpx.post(
        f"{signed_in_api}/api/summarize", json={"documents": ["semester.md"]}, headers=headers
    )
    assert refused.status_code == 403, "summaries are for managers"
    for higher in (chef, _bearer(provider, "adam")):  # a manager, and an admin
        drafted = httpx.post(
            f"{signed_in_api}/api/summarize",
            json={"documents": ["semester.md"]}, headers=higher, timeout=120,
        )  # fmt: skip
        assert drafted.status_code == 200, drafted.text
        assert drafted.json()["summary"].strip()
        assert _says(drafted.json(), "semester.md")
    # The admin role is no access group: the chefer folder stays closed to Adam.
    admin = OpenAI(base_url=f"{signed_in_api}/v1", api_key=token(provider, "adam"))
    assert [m.id for m in admin.models.list()] == ["kommun-assistenten"]
    salary_chat = admin.chat.completions.create(
        model="kommun-assistenten", messages=[{"role": "user", "content": salary["question"]}]
    )
    assert not _says(salary_chat.model_dump(), "3,4 procent")

    asked = httpx.post(
        f"{signed_in_api}/api/ask",
        json={"question": "När ska sommarsemester sökas?"},
        headers=headers,
    ).json()
    not_hers = httpx.post(
        f"{signed_in_api}/api/feedback",
        json={"record_id": asked["record_id"], "score": 1},
        headers=chef,
    )
    assert not_hers.status_code == 403, "feedback is given by the person who was answered"


def test_a_user_over_the_rate_limit_waits_and_others_do_not(
    provider: str, signed_in_api: str
) -> None:
    bo, chef = _bearer(provider, "bo"), _bearer(provider, "chef")
    statuses = [httpx.get(f"{signed_in_api}/v1/models", headers=bo) for _ in range(PER_MINUTE + 1)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert 1 <= int(limited[0].headers["retry-after"]) <= 60
    assert httpx.get(f"{signed_in_api}/v1/models", headers=chef).status_code == 200


def test_a_full_model_line_is_a_429_with_retry_after(
    local_llm: LocalLLM, indexed_examples: Settings, tmp_path: Path
) -> None:
    """One slot and no line: while a streamed answer holds the model, the next caller is
    told to come back (the app would answer from the documents' sentences instead)."""
    env = {
        "ASSISTANT_ANSWER__MODE": "generative",
        "ASSISTANT_MODEL__PROVIDER": "openai",
        "ASSISTANT_MODEL__BASE_URL": local_llm.base_url,
        "ASSISTANT_MODEL__API_KEY": local_llm.api_key,
        "ASSISTANT_MODEL__MODEL": "local",
        "ASSISTANT_MODEL__SLOTS": "1",
        "ASSISTANT_MODEL__QUEUE_LIMIT": "0",
        "ASSISTANT_MODEL__MAX_ANSWER_TOKENS": "120",
        "ASSISTANT_API__REQUESTS_PER_MINUTE": "1000",
    }
    api = start_api(tmp_path, indexed_examples, env)
    url = next(api)
    try:
        question = {"role": "user", "content": "När ska sommarsemester sökas?"}
        with httpx.stream(
            "POST", f"{url}/v1/chat/completions",
            json={"messages": [question], "stream": True}, timeout=300,
        ) as holding:  # fmt: skip
            # The response has begun: the answer has the model's one slot.
            assert holding.status_code == 200
            asked = {"question": "Hur många semesterdagar sparas?"}
            full = httpx.post(f"{url}/api/ask", json=asked, timeout=60)
            streamed = httpx.post(
                f"{url}/v1/chat/completions", json={"messages": [question], "stream": True}
            )
            events = [line for line in holding.iter_lines() if line.startswith("data: ")]
        assert full.status_code == 429, full.text
        assert int(full.headers["retry-after"]) >= 1
        assert "full" in full.json()["detail"]
        assert streamed.status_code == 429
        assert events[-1] == "data: [DONE]"
        # The slot is free again: the next caller is answered.
        again = httpx.post(f"{url}/api/ask", json=asked, timeout=300)
        assert again.status_code == 200, again.text
    finally:
        api.close()


def test_the_rate_limit_is_a_sliding_window() -> None:
    limiter = RateLimiter(2)
    assert limiter.wait_s("a", now=0.0) == 0
    assert limiter.wait_s("a", now=10.0) == 0
    assert limiter.wait_s("a", now=20.0) == 40, "the first call leaves the window at 60 s"
    assert limiter.wait_s("b", now=20.0) == 0, "per user"
    assert limiter.wait_s("a", now=60.5) == 0


def test_a_huge_request_is_refused(local_api: str) -> None:
    body = json.dumps({"question": "x", "history": [{"role": "user", "content": "y" * 70_000}]})
    too_big = httpx.post(
        f"{local_api}/api/ask", content=body, headers={"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield body.encode()

    streamed = httpx.post(
        f"{local_api}/api/ask", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
