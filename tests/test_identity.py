"""Who is asking: roles and access groups from the provider's claims, the settings sign-in
needs, and the app's refusal to serve other machines without sign-in (the real CLI)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fixtures_heavy import RunCli
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import ConfigError
from assistant.identity import (
    SignInRefused,
    is_loopback,
    resolve_identity,
    session_is_fresh,
    streamlit_auth_section,
)
from assistant.settings import AuthSettings, load_settings

SECRET = "klienthemlighet-som-aldrig-loggas"
COOKIE = "kakhemlighet-" + "k" * 32


def auth(**more: object) -> AuthSettings:
    values: dict[str, object] = {
        "metadata_url": "https://login.example.se/.well-known/openid-configuration",
        "client_id": "dokumentassistent",
        "client_secret": SECRET,
        "cookie_secret": COOKIE,
        "roles": {"admin": ["it-admin"], "manager": ["chefer-alla"], "employee": ["personal"]},
        "access_groups": {"grp-hr": "hr", "0b9c2f61-entra-id": "chefer"},
    }
    return AuthSettings.model_validate({**values, **more})


def test_the_highest_role_and_only_mapped_groups() -> None:
    who = resolve_identity(
        {
            "sub": "abc",
            "name": "Anna Andersson",
            "groups": ["personal", "chefer-alla", "grp-hr", "0b9c2f61-entra-id", "fotboll"],
        },
        auth(),
    )
    assert who.role == "manager"
    assert who.groups == ("chefer", "hr")
    assert who.name == "Anna Andersson"
    assert who.signed_in
    assert who.notice is None
    assert who.may("employee")
    assert who.may("manager")
    assert not who.may("admin")


def test_unknown_users_read_open_documents_or_are_refused() -> None:
    stranger = {"sub": "x", "email": "x@kommun.se", "groups": ["grp-hr", "fotboll"]}
    who = resolve_identity(stranger, auth())
    assert (who.role, who.groups, who.name) == ("employee", (), "x@kommun.se")
    with pytest.raises(SignInRefused, match="ger behörighet"):
        resolve_identity(stranger, auth(unknown_users="refuse"))


def test_missing_or_overflowing_groups_are_said() -> None:
    overflow = resolve_identity({"sub": "a", "_claim_names": {"groups": "src1"}}, auth())
    assert overflow.notice is not None
    assert "för många" in overflow.notice
    missing = resolve_identity({"sub": "a"}, auth(groups_claim="roles"))
    assert missing.notice is not None
    assert "'roles' saknas" in missing.notice
    with pytest.raises(SignInRefused, match="för många"):
        resolve_identity({"sub": "a", "hasgroups": True}, auth(unknown_users="refuse"))
    as_text = resolve_identity({"sub": "a", "groups": "personal, grp-hr"}, auth())
    assert as_text.groups == ("hr",)


@given(
    st.lists(st.sampled_from(["personal", "chefer-alla", "it-admin", "grp-hr", "x", ""])),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
def test_groups_never_exceed_the_mapping(groups: list[str], noise: dict[str, str]) -> None:
    who = resolve_identity({**noise, "sub": "s", "groups": groups}, auth())
    assert set(who.groups) <= {"hr", "chefer"}
    has_role = bool(set(groups) & {"personal", "chefer-alla", "it-admin"})
    assert ("hr" in who.groups) == ("grp-hr" in groups and has_role), "no role: no groups"
    highest = "admin" if "it-admin" in groups else "manager" if "chefer-alla" in groups else None
    assert who.role == (highest or "employee")


def test_sign_in_settings_are_complete_and_secrets_stay_out_of_errors() -> None:
    with pytest.raises(ConfigError) as problem:
        load_settings(auth={"metadata_url": "https://x/.well-known/openid-configuration",
                            "client_secret": SECRET, "cookie_secret": "kort"})  # fmt: skip
    assert "auth.client_id" in str(problem.value)
    assert SECRET not in str(problem.value)
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(auth={"metadata_url": "https://x", "client_id": "a",
                            "client_secret": SECRET, "cookie_secret": "kort"})  # fmt: skip
    section = streamlit_auth_section(auth())
    assert section["client_secret"] == SECRET
    assert section["server_metadata_url"] == auth().metadata_url
    assert SECRET not in repr(auth()), "secrets are masked wherever settings are printed"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("", False), (None, False), ("::", False),
     ("10.1.2.3", False), ("kommun.se", False)],
)  # fmt: skip
def test_loopback_addresses(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _ui(
    run_cli: RunCli, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "ui",
        "--data-dir",
        str(tmp_path),
        *args,
        env={"HF_HUB_OFFLINE": "1", "ASSISTANT_ANSWER__MODE": "extractive", **env},
        clear=("ASSISTANT_", "STREAMLIT_"),
        cwd=tmp_path,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_no_sign_in_on_a_public_address_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    flag = _ui(run_cli, tmp_path, "--host", "0.0.0.0")
    assert flag.returncode == 2, flag.stderr
    assert "without sign-in" in flag.stderr
    assert "ASSISTANT_AUTH__METADATA_URL" in flag.stderr
    env = _ui(run_cli, tmp_path, STREAMLIT_SERVER_ADDRESS="192.0.2.10")
    assert env.returncode == 2, env.stderr
    assert "192.0.2.10" in env.stderr
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text('[server]\naddress = "0.0.0.0"\n')
    config = _ui(run_cli, tmp_path)
    assert config.returncode == 2, config.stderr
    assert "Traceback" not in config.stderr


def test_broken_sign_in_settings_exit_2_without_the_secret(tmp_path: Path, run_cli: RunCli) -> None:
    result = _ui(
        run_cli,
        tmp_path,
        "--host",
        "0.0.0.0",
        ASSISTANT_AUTH__METADATA_URL="https://login.example.se/.well-known/openid-configuration",
        ASSISTANT_AUTH__CLIENT_SECRET=SECRET,
        ASSISTANT_AUTH__COOKIE_SECRET="kort",
    )
    assert result.returncode == 2
    assert "auth.client_id" in result.stderr
    assert SECRET not in result.stderr + result.stdout


# -- how long a sign-in lasts ------------------------------------------------------------

NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15), so the times below are exact
HOUR = 3600.0


@pytest.mark.parametrize(
    ("claims", "fresh"),
    [
        ({"iat": NOW - 7.9 * HOUR, "exp": NOW - 6.9 * HOUR}, True),  # exp: see session_is_fresh
        ({"iat": NOW - 8.1 * HOUR, "exp": NOW + HOUR}, False),  # a day-old cookie, say
        ({"iat": NOW - 30 * 24 * HOUR}, False),  # the cookie's own lifetime: 30 days
        ({"iat": NOW}, True),
        ({"iat": NOW + 60}, True),  # the provider's clock a minute ahead of ours
        ({"iat": NOW + 2 * HOUR}, False),  # issued in the future: not believed
        ({}, False),  # no issue time: cannot tell how old, so not taken
        ({"iat": "1800000000"}, False),
        ({"iat": True}, False),
        ({"iat": float("nan")}, False),
    ],
)
def test_a_sign_in_lasts_max_session_hours_from_when_the_claims_were_issued(
    claims: dict[str, object], fresh: bool
) -> None:
    assert session_is_fresh({"sub": "anna", **claims}, auth(), now=NOW) is fresh


def test_max_session_hours_is_a_setting_with_a_working_day_default() -> None:
    assert auth().max_session_hours == 8
    claims = {"sub": "anna", "iat": NOW - 2 * HOUR}
    assert session_is_fresh(claims, auth(max_session_hours=3), now=NOW)
    assert not session_is_fresh(claims, auth(max_session_hours=1.5), now=NOW)
    with pytest.raises(ValueError, match="max_session_hours"):
        auth(max_session_hours=0)
