"""Who may read a SharePoint item: its Graph permissions mapped to our access groups.

The rule (docs/operations/ingest.md, "SharePoint and OneDrive"): an item's readers are the
union of the groups its grants map to. Grants that map to no group (a single person, an
invitation, a link for specific people, a group in neither mapping) give no one access
through the assistant; an item with no mapped grant at all is not published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistant.store.access import EVERYONE, normalise_groups


@dataclass(frozen=True)
class Readers:
    """Who may read an item: the access groups its grants map to, and the grants that map
    to none (said without people's names)."""

    groups: list[str]
    unmapped: list[str]


def readers(
    permissions: list[dict[str, Any]],
    access_groups: Mapping[str, str],
    site_groups: Mapping[str, str],
) -> Readers:
    """Map an item's permissions (Graph ``permission`` resources) to access groups.

    A Microsoft 365 or security group (``grantedToV2.group`` or one of
    ``grantedToIdentitiesV2``) maps by its object id through ``auth.access_groups``, as at
    sign-in; a SharePoint group (``siteGroup``) by id or name through the source's
    ``site_groups``; a sharing link for the organisation or for anyone gives everyone; an
    existing-access link gives nothing new. A single person, an invitation, a link for
    specific people naming no group, and a group in neither mapping map to nothing.
    Everyone among the groups is everyone alone.
    """
    groups: set[str] = set()
    unmapped: list[str] = []

    def identity(who: Mapping[str, Any]) -> None:
        group, site_group = who.get("group"), who.get("siteGroup")
        if isinstance(group, dict):
            name = access_groups.get(str(group.get("id", "")))
            if name:
                groups.add(name)
            else:
                unmapped.append(
                    f"the group {group.get('displayName') or '?'} ({group.get('id')}), not "
                    "in auth.access_groups"
                )
        elif isinstance(site_group, dict):
            keys = [str(site_group.get(k, "")) for k in ("id", "displayName", "loginName")]
            name = next((site_groups[k] for k in keys if k in site_groups), None)
            if name:
                groups.add(name)
            else:
                unmapped.append(
                    f"the SharePoint group {site_group.get('displayName') or '?'} "
                    f"({site_group.get('id')}), not in site_groups"
                )
        elif who.get("user") or who.get("siteUser"):
            unmapped.append("a single person")
        # An application or a device reads nothing on anyone's behalf: neither way.

    for permission in permissions:
        link = permission.get("link")
        named = [permission["grantedToV2"]] if permission.get("grantedToV2") else []
        named += permission.get("grantedToIdentitiesV2") or []
        if isinstance(link, dict):
            scope = link.get("scope")
            if scope in ("organization", "anonymous"):
                groups.add(EVERYONE)
                continue
            if scope == "existingAccess":
                continue
            if scope == "users" and named:
                for who in named:
                    identity(who)
                continue
            unmapped.append(f"a sharing link ({scope or 'scope not given'})")
            continue
        if not named:
            unmapped.append(
                "an invitation" if permission.get("invitation") else "a grant to no one named"
            )
        for who in named:
            identity(who)
    everyone = EVERYONE in groups  # covers every other group (as in access.toml)
    return Readers([EVERYONE] if everyone else normalise_groups(groups), unmapped)
