"""Roles: viewers see, everyone else may also manage keys."""

from __future__ import annotations

import pytest

from gateway.auth.permissions import Action, PermissionDenied, allows, require
from gateway.db.enums import MemberRole


@pytest.mark.parametrize(
    ("role", "may_manage"),
    [
        (MemberRole.OWNER, True),
        (MemberRole.ADMIN, True),
        (MemberRole.MEMBER, True),
        (MemberRole.VIEWER, False),
    ],
)
def test_who_may_manage_keys(role: MemberRole, may_manage: bool) -> None:
    assert allows(role, Action.VIEW)
    assert allows(role, Action.MANAGE_KEYS) is may_manage


def test_require_refuses_with_permission_denied() -> None:
    require("owner", Action.MANAGE_KEYS)
    with pytest.raises(PermissionDenied, match="viewer"):
        require("viewer", Action.MANAGE_KEYS)
