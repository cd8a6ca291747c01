from dataclasses import replace

from gateway.budget.admission import limits_for
from gateway.tenancy.context import TenantContext, per_tenant
from tests.routing.helpers import tenant

TENANT = tenant("growth")


def test_a_tenant_object_is_derived_from_once() -> None:
    seen: list[TenantContext] = []
    slug = per_tenant(lambda context: seen.append(context) or context.org_slug)
    assert [slug(TENANT), slug(TENANT)] == [TENANT.org_slug] * 2
    assert seen == [TENANT]


def test_a_changed_tenant_is_derived_afresh_even_when_equal() -> None:
    seen: list[TenantContext] = []
    plan = per_tenant(lambda context: seen.append(context) or context.plan)
    assert plan(TENANT) == "growth"
    assert plan(replace(TENANT, plan="scale")) == "scale"
    assert plan(replace(TENANT)) == "growth"
    assert len(seen) == 3


def test_remembered_limits_follow_a_plan_change() -> None:
    growth = limits_for(TENANT)
    assert limits_for(TENANT) is growth
    scale = limits_for(replace(TENANT, plan="scale"))
    assert scale.org_rpm > growth.org_rpm
