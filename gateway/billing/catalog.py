"""What Stripe must hold for the plans to be sold: meters, products and prices (pure data).

Everything here derives from `gateway.billing.plans`; nothing restates a plan's numbers.

    meter  llm_tokens_used     every token a tenant used, per organization and hour
    meter  llm_provider_cost   what platform provider keys (not the tenant's own) cost
                               RouterAI, in micro-USD, passed through at cost
    product routerai_<plan>    one per paid plan, holding its two prices:
      price routerai_<plan>_monthly   flat monthly fee (licensed, quantity 1)
      price routerai_<plan>_tokens    metered on llm_tokens_used, graduated: the plan's
                                      included tokens cost 0, the rest its overage rate
    product routerai_provider_usage
      price routerai_provider_cost    metered on llm_provider_cost, in every paid
                                      subscription, so a platform key never costs
                                      RouterAI money it does not bill

Prices are found again by their lookup keys, products by their fixed ids and meters
by their event names, which is what makes `routerai stripe sync` idempotent. Every
price also carries `metadata.routerai_plan` and `metadata.routerai_price`, so a
subscription's plan is read back even from a price whose lookup key later moved to
a replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from gateway.billing.plans import PLANS, Plan, PlanName

CURRENCY = "usd"
CUSTOMER_PAYLOAD_KEY = "stripe_customer_id"
VALUE_PAYLOAD_KEY = "value"
PLAN_METADATA_KEY = "routerai_plan"
KIND_METADATA_KEY = "routerai_price"
PROVIDER_PRODUCT_ID = "routerai_provider_usage"
PROVIDER_COST_LOOKUP_KEY = "routerai_provider_cost"
# Stripe amounts are cents; one micro-USD of provider cost is 0.0001 cent.
CENTS_PER_MICRO_USD = Decimal("0.0001")


class Meter(StrEnum):
    """The meters' event names; the same strings name rows in `meter_reports`."""

    TOKENS = "llm_tokens_used"
    PROVIDER_COST = "llm_provider_cost"


class PriceKind(StrEnum):
    FLAT = "flat"
    TOKENS = "tokens"
    PROVIDER_COST = "provider_cost"


@dataclass(frozen=True, slots=True)
class MeterSpec:
    event_name: str
    display_name: str


@dataclass(frozen=True, slots=True)
class ProductSpec:
    id: str
    name: str
    description: str
    plan: PlanName | None


@dataclass(frozen=True, slots=True)
class Tier:
    """A graduated tier: units up to `up_to` (None: no bound) at `cents_per_unit` each."""

    up_to: int | None
    cents_per_unit: Decimal


@dataclass(frozen=True, slots=True)
class PriceSpec:
    """One monthly price: per unit (`unit_cents`) or graduated (`tiers`); metered on `meter`.

    A licensed price (no meter) is the flat fee, bought with quantity 1.
    """

    lookup_key: str
    product_id: str
    kind: PriceKind
    plan: PlanName | None
    nickname: str
    unit_cents: Decimal | None = None
    meter: Meter | None = None
    tiers: tuple[Tier, ...] = ()

    @property
    def metered(self) -> bool:
        return self.meter is not None


METERS: tuple[MeterSpec, ...] = (
    MeterSpec(Meter.TOKENS, "LLM tokens used"),
    MeterSpec(Meter.PROVIDER_COST, "Provider cost through platform keys (micro-USD)"),
)


def is_self_serve(plan: Plan) -> bool:
    """Whether the plan is bought through Checkout (paid, and not sold by contact)."""
    return plan.monthly_price_usd > 0 and not plan.sold_by_contact


def flat_lookup_key(plan: PlanName) -> str:
    return f"routerai_{plan.value}_monthly"


def tokens_lookup_key(plan: PlanName) -> str:
    return f"routerai_{plan.value}_tokens"


def plan_product_id(plan: PlanName) -> str:
    return f"routerai_{plan.value}"


def cents_per_token(usd_per_million: int) -> Decimal:
    """An overage rate in dollars per million tokens as cents per token (exact)."""
    return (Decimal(usd_per_million) * 100 / 1_000_000).normalize()


def _paid_plans() -> list[Plan]:
    return [plan for plan in PLANS.values() if plan.monthly_price_usd > 0]


def _products() -> tuple[ProductSpec, ...]:
    plans = [
        ProductSpec(
            plan_product_id(plan.name),
            f"RouterAI {plan.title}",
            "; ".join(plan.features),
            plan.name,
        )
        for plan in _paid_plans()
    ]
    provider = ProductSpec(
        PROVIDER_PRODUCT_ID,
        "RouterAI provider usage",
        "Upstream provider cost of requests served with RouterAI's platform keys, at cost",
        None,
    )
    return (*plans, provider)


def _plan_prices(plan: Plan) -> list[PriceSpec]:
    product = plan_product_id(plan.name)
    prices = [
        PriceSpec(
            flat_lookup_key(plan.name),
            product,
            PriceKind.FLAT,
            plan.name,
            f"{plan.title} monthly fee",
            unit_cents=Decimal(plan.monthly_price_usd * 100),
        )
    ]
    if plan.included_tokens is not None and plan.overage_usd_per_million is not None:
        tiers = (
            Tier(plan.included_tokens, Decimal(0)),
            Tier(None, cents_per_token(plan.overage_usd_per_million)),
        )
        prices.append(
            PriceSpec(
                tokens_lookup_key(plan.name),
                product,
                PriceKind.TOKENS,
                plan.name,
                f"{plan.title} tokens beyond the {plan.included_tokens:,} included",
                meter=Meter.TOKENS,
                tiers=tiers,
            )
        )
    return prices


def _prices() -> tuple[PriceSpec, ...]:
    provider = PriceSpec(
        PROVIDER_COST_LOOKUP_KEY,
        PROVIDER_PRODUCT_ID,
        PriceKind.PROVIDER_COST,
        None,
        "Provider cost through platform keys",
        unit_cents=CENTS_PER_MICRO_USD,
        meter=Meter.PROVIDER_COST,
    )
    return (*[p for plan in _paid_plans() for p in _plan_prices(plan)], provider)


PRODUCTS: tuple[ProductSpec, ...] = _products()
PRICES: tuple[PriceSpec, ...] = _prices()
PRICES_BY_KEY: dict[str, PriceSpec] = {price.lookup_key: price for price in PRICES}


def subscription_lookup_keys(plan: PlanName) -> tuple[str, ...]:
    """The prices a subscription to `plan` holds: flat fee, tokens (if metered), provider cost."""
    keys = [p.lookup_key for p in PRICES if p.plan is plan]
    return (*keys, PROVIDER_COST_LOOKUP_KEY)


def plan_of_price(lookup_key: str | None, metadata: dict[str, str]) -> PlanName | None:
    """The plan a Stripe price's flat fee sells, from its metadata or lookup key; else None."""
    if metadata.get(KIND_METADATA_KEY) == PriceKind.FLAT:
        try:
            return PlanName(metadata.get(PLAN_METADATA_KEY, ""))
        except ValueError:
            return None
    spec = PRICES_BY_KEY.get(lookup_key or "")
    return spec.plan if spec is not None and spec.kind is PriceKind.FLAT else None


def kind_of_price(lookup_key: str | None, metadata: dict[str, str]) -> PriceKind | None:
    """Which of RouterAI's prices this is (flat, tokens, provider cost), or None."""
    try:
        return PriceKind(metadata.get(KIND_METADATA_KEY, ""))
    except ValueError:
        spec = PRICES_BY_KEY.get(lookup_key or "")
        return spec.kind if spec is not None else None
