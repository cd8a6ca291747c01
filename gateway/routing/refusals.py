"""The errors a request gets when no candidate is left, one per eligibility step (pure)."""

from __future__ import annotations

from gateway.errors import (
    GatewayError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    UpstreamUnavailable,
)
from gateway.pricing.catalog import Capability
from gateway.routing.eligibility import Eligibility, ProviderAccess, Stage
from gateway.routing.requirements import Needs

_CAPABILITY_PARAMS = {
    Capability.TOOLS: ("tools", "tools"),
    Capability.JSON_MODE: ("response_format", "JSON mode"),
    Capability.VISION: ("messages", "image inputs"),
}


def refusal(found: Eligibility, name: str, needs: Needs, access: ProviderAccess) -> GatewayError:
    """The error for an empty `found`, naming what the client can change."""
    stage = found.stage
    if stage is Stage.NO_CREDENTIAL:
        return PermissionDenied(
            f"No provider key is available for '{name}'. Add your own provider key in the "
            "RouterAI dashboard (/dashboard/providers), or upgrade to Growth to use "
            "RouterAI's keys.",
            code="no_provider_credential",
        )
    if stage is Stage.PLAN_LIMIT:
        return PermissionDenied(
            f"Your plan includes {len(access.sources)} providers "
            f"({', '.join(access.sources)}) and '{name}' is served by another one. Upgrade your "
            "plan to use more providers.",
            code="provider_not_in_plan",
        )
    if stage is Stage.CAPABILITY:
        missing = sorted(found.missing) or sorted(needs.capabilities)
        param, what = _CAPABILITY_PARAMS[missing[0]]
        return InvalidRequest(
            f"The model '{name}' does not support {what}.",
            param=param,
            code="unsupported_capability",
        )
    if stage is Stage.CONTEXT and found.closest is not None:
        model = found.closest
        requested = needs.requested_output
        return InvalidRequest(
            f"This model's maximum context length is {model.context_window} tokens and it "
            f"returns at most {model.max_output_tokens} tokens. You requested "
            f"{needs.prompt_tokens} tokens in the messages and "
            f"{requested if requested is not None else 'the default'} for the completion.",
            param="messages",
            code="context_length_exceeded",
        )
    return NotFound(
        f"The model '{name}' does not exist or your organization does not have access to it.",
        param="model",
        code="model_not_found",
    )


def unavailable(name: str) -> GatewayError:
    """Every eligible candidate's breaker is open."""
    return UpstreamUnavailable(
        f"Every provider serving '{name}' is failing right now and is paused for a few "
        "seconds; please retry shortly.",
        code="upstream_unavailable",
    )
