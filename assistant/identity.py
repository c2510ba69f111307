"""Who is asking: the signed-in user's role and access groups, from the provider's claims.

The identity provider says which of its groups a user belongs to (the ``groups`` claim of
the ID token). Configuration maps some of those groups to a role (employee, manager,
admin) and some to the access groups that documents name in ``access.toml``; every other
group is ignored. Without sign-in the app serves one person on one machine: a local admin
who reads open documents only.

A sign-in lasts ``auth.max_session_hours`` from when the provider issued the claims
(``iat``): Streamlit keeps them 30 days in its cookie and checks no time itself, and a
change of groups at the provider takes effect only at the next sign-in.

Also here: what Streamlit's sign-in needs to know (its ``[auth]`` secrets section), and
which listen addresses count as "this machine only".
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.errors import AssistantError
from assistant.settings import ROLES, AuthSettings, Role
from assistant.store.access import normalise_groups

# How far the provider's clock may run ahead of ours before an issue time is not believed.
_CLOCK_SKEW_S = 300.0

# Entra ID leaves the groups out of the token when a user has more than fit (about 200)
# and says so with these claims instead.
_OVERAGE_CLAIMS = ("_claim_names", "hasgroups", "groups:src1")


class SignInRefused(AssistantError):
    """A signed-in user the configuration does not let in; the message says why."""


@dataclass(frozen=True)
class Identity:
    """The viewer of one session: who, which role, which access groups."""

    subject: str  # the provider's stable user id ("local" without sign-in)
    name: str
    role: Role
    groups: tuple[str, ...]  # access groups as documents name them; () reads open ones
    signed_in: bool
    notice: str | None = None  # something the user should know about their groups

    def may(self, role: Role) -> bool:
        """Whether this viewer has ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


LOCAL_USER = Identity(
    subject="local", name="Lokal användare", role="admin", groups=(), signed_in=False
)


def resolve_identity(claims: Mapping[str, object], auth: AuthSettings) -> Identity:
    """The identity of a signed-in user from their ID-token claims.

    Raises ``SignInRefused`` when ``unknown_users`` is 'refuse' and no group gives a role.
    """
    provider_groups, notice = _provider_groups(claims, auth.groups_claim)
    role = _role(provider_groups, auth)
    mapped = {auth.access_groups[g] for g in provider_groups if g in auth.access_groups}
    if role is None:  # an unknown user: open documents only, or not let in
        if auth.unknown_users == "refuse":
            why = "ingen av dina grupper hos inloggningstjänsten ger behörighet till appen"
            raise SignInRefused(why + (f" ({notice})" if notice else ""))
        role, mapped = "employee", set()
    subject = _text(claims.get("sub")) or "okänd"
    name = (
        _text(claims.get(auth.name_claim))
        or _text(claims.get("preferred_username"))
        or _text(claims.get("email"))
        or subject
    )
    return Identity(
        subject=subject,
        name=name,
        role=role,
        groups=tuple(normalise_groups(mapped)),
        signed_in=True,
        notice=notice,
    )


def session_is_fresh(claims: Mapping[str, object], auth: AuthSettings, *, now: float) -> bool:
    """Whether a sign-in whose ID-token ``claims`` Streamlit keeps may still be used at
    ``now`` (seconds since the epoch): issued (``iat``) less than ``max_session_hours`` ago.

    Claims without a usable ``iat`` are never fresh. The token's own ``exp`` is not used:
    providers set it to minutes or an hour (Keycloak 5 min, Entra ID 1 h) for presenting
    the token, which Authlib checked at sign-in; honouring it would send everyone through
    the provider mid-conversation, losing the conversation, every hour or more often.
    """
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        return False
    if not math.isfinite(issued) or issued > now + _CLOCK_SKEW_S:
        return False
    return now - issued < auth.max_session_hours * 3600


def _provider_groups(claims: Mapping[str, object], claim: str) -> tuple[set[str], str | None]:
    value = claims.get(claim)
    if value is None:
        if any(name in claims for name in _OVERAGE_CLAIMS):
            return set(), (
                "inloggningstjänsten skickade inte dina grupper eftersom de är för många; "
                "be IT-avdelningen begränsa token till de grupper som är tilldelade appen"
            )
        return set(), f"inloggningstjänsten skickade inga grupper (anspråket '{claim}' saknas)"
    if isinstance(value, str):
        items: list[object] = list(value.replace(",", " ").split())
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return set(), f"anspråket '{claim}' har fel form och lästes inte"
    return {item.strip() for item in items if isinstance(item, str) and item.strip()}, None


def _role(provider_groups: set[str], auth: AuthSettings) -> Role | None:
    for role in reversed(ROLES):  # the highest role any group gives
        if provider_groups & set(auth.roles.get(role, ())):
            return role
    return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def streamlit_auth_section(auth: AuthSettings) -> dict[str, object]:
    """The ``[auth]`` section of Streamlit's secrets for ``st.login`` (secrets included)."""
    if not (auth.enabled and auth.client_secret and auth.cookie_secret):
        raise ValueError("sign-in is not configured")
    return {
        "redirect_uri": auth.redirect_uri,
        "cookie_secret": auth.cookie_secret.get_secret_value(),
        "client_id": auth.client_id,
        "client_secret": auth.client_secret.get_secret_value(),
        "server_metadata_url": auth.metadata_url,
        "client_kwargs": {"scope": auth.scope},
    }


def is_loopback(host: str | None) -> bool:
    """Whether listening on ``host`` serves this machine only (empty means every address)."""
    if not host:
        return False
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
