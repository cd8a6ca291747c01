"""Roles: viewers read, members use, admins configure, owners also bill and delete."""

from __future__ import annotations

import pytest

from gateway.auth.permissions import Action, PermissionDenied, allows, require
from gateway.db.enums import MemberRole

LOWEST_ROLE = {
    Action.VIEW: MemberRole.VIEWER,
    Action.MANAGE_KEYS: MemberRole.MEMBER,
    Action.RUN_BENCHMARKS: MemberRole.MEMBER,
    Action.CONFIGURE: MemberRole.ADMIN,
    Action.MANAGE_MEMBERS: MemberRole.ADMIN,
    Action.MANAGE_BILLING: MemberRole.OWNER,
    Action.DELETE_ORGANIZATION: MemberRole.OWNER,
}
# Most powerful first.
RANKED = [MemberRole.OWNER, MemberRole.ADMIN, MemberRole.MEMBER, MemberRole.VIEWER]


def test_every_action_has_a_lowest_role() -> None:
    assert set(LOWEST_ROLE) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", RANKED)
def test_a_role_may_act_exactly_when_it_ranks_at_or_above_the_lowest_role(
    action: Action, role: MemberRole
) -> None:
    expected = RANKED.index(role) <= RANKED.index(LOWEST_ROLE[action])
    assert allows(role, action) is expected


def test_require_refuses_with_permission_denied() -> None:
    require("owner", Action.DELETE_ORGANIZATION)
    with pytest.raises(PermissionDenied, match="viewer"):
        require("viewer", Action.MANAGE_KEYS)
    with pytest.raises(PermissionDenied, match="admin"):
        require("admin", Action.MANAGE_BILLING)
