"""Which (provider, model) pairs may serve a request, and with whose credential (pure).

A pair is eligible when, in this order (the first step that leaves nothing names the error):

    1. it answers to the requested name (an id or alias; `auto`: every chat model)    404
    2. the tenant's allow-lists admit it (`allowed_providers`, `allowed_models`)        404
    3. its provider has a usable credential: the tenant's own (BYOK), else the
       platform's key where the plan allows platform keys (Growth and up) or the
       gateway runs in sandbox mode                                                    403
    4. the plan admits its provider: a plan with `max_providers` gets that many, the
       tenant's BYOK providers first, then the catalogue order `PROVIDERS`; the set
       is per tenant, not per request, so it never shifts between requests            403
    5. it serves the capabilities the body needs (tools, JSON mode, vision)            400
    6. its context window holds the prompt plus the output the request may produce     400

Breakers (open: skipped) are applied by the router, which reads them; the result here is a
pure function of the tenant, the catalogue, the request and the credentials that exist.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from gateway.pricing.catalog import PROVIDERS, Capability, Catalog, ModelInfo, ModelKind
from gateway.routing.requirements import Needs
from gateway.tenancy.context import TenantContext

AUTO = "auto"


class CredentialSource(StrEnum):
    BYOK = "byok"
    PLATFORM = "platform"


def credential_key(provider: str, source: CredentialSource, org_id: str) -> str:
    """The breaker's name for a credential: `<provider>:platform` or `<provider>:<org id>`.

    A tenant's own key and the platform's key never share a breaker, so a tenant's broken
    key cannot take the platform key out for everyone else.
    """
    return f"{provider}:{org_id if source is CredentialSource.BYOK else 'platform'}"


class Stage(StrEnum):
    """The eligibility step that left no candidate."""

    UNKNOWN_MODEL = "unknown_model"
    NOT_ALLOWED = "not_allowed"
    NO_CREDENTIAL = "no_credential"
    PLAN_LIMIT = "plan_limit"
    CAPABILITY = "capability"
    CONTEXT = "context"


@dataclass(frozen=True, slots=True)
class Eligible:
    """One (provider, model) pair that may serve the request, and the credential it would use."""

    model: ModelInfo
    source: CredentialSource
    credential_key: str
    output_tokens: int

    @property
    def provider(self) -> str:
        return self.model.provider

    @property
    def label(self) -> str:
        return f"{self.model.provider}/{self.model.id}"


@dataclass(frozen=True, slots=True)
class ProviderAccess:
    """Which providers a tenant may use, each with its credential source, in preference order."""

    sources: dict[str, CredentialSource]
    without_credential: tuple[str, ...] = ()
    over_plan: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The eligible pairs, or (when there are none) the step that removed the last ones."""

    options: tuple[Eligible, ...]
    stage: Stage | None = None
    missing: frozenset[Capability] = field(default_factory=frozenset)
    closest: ModelInfo | None = None


def provider_access(
    tenant: TenantContext,
    *,
    registered: Collection[str],
    platform_keys: Collection[str],
    sandbox_mode: bool,
) -> ProviderAccess:
    """The providers `tenant` may route to (steps 3 and 4), BYOK first, then catalogue order."""
    platform_allowed = sandbox_mode or tenant.plan_info.platform_keys
    byok, platform, without = [], [], []
    for provider in _catalogue_order(registered):
        if not provider_allowed(tenant, provider):
            continue
        if provider in tenant.byok_providers:
            byok.append(provider)
        elif platform_allowed and provider in platform_keys:
            platform.append(provider)
        else:
            without.append(provider)
    usable = [(p, CredentialSource.BYOK) for p in byok]
    usable += [(p, CredentialSource.PLATFORM) for p in platform]
    cap = tenant.plan_info.max_providers
    kept, cut = (usable, []) if cap is None else (usable[:cap], usable[cap:])
    return ProviderAccess(dict(kept), tuple(without), tuple(p for p, _ in cut))


def provider_allowed(tenant: TenantContext, provider: str) -> bool:
    allowed = tenant.allowed_providers
    return allowed is None or provider in allowed


def model_allowed(tenant: TenantContext, model: ModelInfo) -> bool:
    """The tenant's allow-lists admit `model` (step 2)."""
    if not provider_allowed(tenant, model.provider):
        return False
    if tenant.allowed_models is None:
        return True
    return not {model.id, *model.aliases}.isdisjoint(tenant.allowed_models)


def named(
    catalog: Catalog, name: str, kind: ModelKind, registered: Collection[str]
) -> list[ModelInfo]:
    """Step 1: the models of registered providers answering to `name` (`auto`: all chat)."""
    if name == AUTO and kind is ModelKind.CHAT:
        found = [m for m in catalog.models if m.kind is ModelKind.CHAT]
    else:
        found = [m for m in catalog.serving(name) if m.kind is kind]
    return [m for m in found if m.provider in registered]


def eligible(
    catalog: Catalog,
    tenant: TenantContext,
    name: str,
    kind: ModelKind,
    needs: Needs,
    access: ProviderAccess,
    registered: Collection[str],
) -> Eligibility:
    """Every pair that passes steps 1-6, in catalogue order."""
    return fitting(
        serving(catalog, tenant, name, kind, needs.capabilities, access, registered), needs
    )


def serving(
    catalog: Catalog,
    tenant: TenantContext,
    name: str,
    kind: ModelKind,
    capabilities: frozenset[Capability],
    access: ProviderAccess,
    registered: Collection[str],
) -> Eligibility:
    """Steps 1-5, which depend on the request only through its name, kind and capabilities
    (the router remembers them per tenant). The options' `output_tokens` are 0 until
    `fitting` has sized them."""
    models = named(catalog, name, kind, registered)
    if not models:
        return Eligibility((), Stage.UNKNOWN_MODEL)
    models = [m for m in models if model_allowed(tenant, m)]
    if not models:
        return Eligibility((), Stage.NOT_ALLOWED)
    if not any(m.provider in access.sources or m.provider in access.over_plan for m in models):
        return Eligibility((), Stage.NO_CREDENTIAL)
    models = [m for m in models if m.provider in access.sources]
    if not models:
        return Eligibility((), Stage.PLAN_LIMIT)
    capable = [m for m in models if capabilities <= m.capabilities]
    if not capable:
        missing = min((capabilities - m.capabilities for m in models), key=len)
        return Eligibility((), Stage.CAPABILITY, missing=missing)
    options = []
    for model in capable:
        source = access.sources[model.provider]
        options.append(
            Eligible(model, source, credential_key(model.provider, source, tenant.org_id), 0)
        )
    return Eligibility(tuple(options))


def fitting(found: Eligibility, needs: Needs) -> Eligibility:
    """Step 6 on what `serving` found: the chat options whose context window holds the
    prompt and the output, each with the output tokens to reserve on it."""
    if not found.options or found.options[0].model.kind is ModelKind.EMBEDDING:
        return found
    options = []
    for option in found.options:
        output = needs.output_for(option.model)
        if output is not None:
            options.append(Eligible(option.model, option.source, option.credential_key, output))
    if not options:
        closest = max((o.model for o in found.options), key=lambda m: m.context_window)
        return Eligibility((), Stage.CONTEXT, closest=closest)
    return Eligibility(tuple(options))


def _catalogue_order(registered: Collection[str]) -> Sequence[str]:
    rank = {p: i for i, p in enumerate(PROVIDERS)}
    return sorted(registered, key=lambda p: (rank.get(p, len(rank)), p))
