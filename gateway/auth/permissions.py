"""What each member role may do in its organization. Pure.

Viewers see everything the dashboard shows but change nothing; members and above
manage API keys.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.db.enums import MemberRole


class Action(StrEnum):
    VIEW = "view"
    MANAGE_KEYS = "manage_keys"


_ALLOWED: dict[MemberRole, frozenset[Action]] = {
    MemberRole.OWNER: frozenset(Action),
    MemberRole.ADMIN: frozenset(Action),
    MemberRole.MEMBER: frozenset(Action),
    MemberRole.VIEWER: frozenset({Action.VIEW}),
}


class PermissionDenied(PermissionError):
    """The member's role does not allow the action."""


def allows(role: MemberRole | str, action: Action) -> bool:
    """True when `role` may perform `action`."""
    return action in _ALLOWED.get(MemberRole(role), frozenset())


def require(role: MemberRole | str, action: Action) -> None:
    """Raise PermissionDenied unless `role` may perform `action`."""
    if not allows(role, action):
        raise PermissionDenied(f"the {MemberRole(role).value} role may not {action.value}")
