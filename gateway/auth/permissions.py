"""What each member role may do in its organization. Pure.

Viewers read everything the dashboard shows but change nothing; members use the
product (API keys, benchmarks); admins configure it (routing, provider keys, cache,
budgets, members); owners also handle billing and may delete the organization.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from gateway.db.enums import MemberRole


class Action(StrEnum):
    VIEW = "view"
    MANAGE_KEYS = "manage_keys"
    RUN_BENCHMARKS = "run_benchmarks"
    CONFIGURE = "configure"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_BILLING = "manage_billing"
    DELETE_ORGANIZATION = "delete_organization"


_VIEWER = frozenset({Action.VIEW})
_MEMBER = _VIEWER | {Action.MANAGE_KEYS, Action.RUN_BENCHMARKS}
_ADMIN = _MEMBER | {Action.CONFIGURE, Action.MANAGE_MEMBERS}
_ALLOWED: dict[MemberRole, frozenset[Action]] = {
    MemberRole.OWNER: frozenset(Action),
    MemberRole.ADMIN: _ADMIN,
    MemberRole.MEMBER: _MEMBER,
    MemberRole.VIEWER: _VIEWER,
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a user, in an organization, with a role there."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    role: MemberRole


class PermissionDenied(PermissionError):
    """The member's role does not allow the action."""


def allows(role: MemberRole | str, action: Action) -> bool:
    """True when `role` may perform `action`."""
    return action in _ALLOWED.get(MemberRole(role), frozenset())


def require(role: MemberRole | str, action: Action) -> None:
    """Raise PermissionDenied unless `role` may perform `action`."""
    if not allows(role, action):
        raise PermissionDenied(f"the {MemberRole(role).value} role may not {action.value}")
