"""The fake Stripe's memory: its objects, id generation, errors and list pagination."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

Obj = dict[str, Any]


class ApiError(Exception):
    """A Stripe error answer: HTTP status and the `{"error": {...}}` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        error = {"type": type, "message": message, "code": code, "param": param, **extra}
        self.body = {"error": {k: v for k, v in error.items() if v is not None}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


@dataclass
class State:
    """Every object the fake holds, by kind and id. Guard with `lock`."""

    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)
    products: dict[str, Obj] = field(default_factory=dict)
    prices: dict[str, Obj] = field(default_factory=dict)
    meters: dict[str, Obj] = field(default_factory=dict)
    meter_events: list[Obj] = field(default_factory=list)
    customers: dict[str, Obj] = field(default_factory=dict)
    checkout_sessions: dict[str, Obj] = field(default_factory=dict)
    checkout_items: dict[str, list[Obj]] = field(default_factory=dict)
    checkout_subscription_data: dict[str, Obj] = field(default_factory=dict)
    portal_sessions: dict[str, Obj] = field(default_factory=dict)
    subscriptions: dict[str, Obj] = field(default_factory=dict)
    invoices: dict[str, Obj] = field(default_factory=dict)
    declining_customers: set[str] = field(default_factory=set)
    _sequence: itertools.count[int] = field(default_factory=itertools.count)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(6)}{next(self._sequence):04d}"

    def now(self) -> int:
        return int(self.clock())


def to_bool(value: Any) -> bool:
    return value in (True, "true", "True", "1")


def to_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param) from None


def to_decimal(value: Any, param: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise invalid(f"Invalid decimal: {value}", param) from None
    if amount.as_tuple().exponent < -12:  # type: ignore[operator]
        raise invalid("Decimal amounts can have at most 12 decimal places.", param)
    return amount


def require(params: Obj, name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise invalid(f"Missing required param: {name}.", name)
    return value


def metadata(params: Obj, current: Obj | None = None) -> Obj:
    """Stripe's metadata update: keys merge, an empty value deletes the key."""
    merged = dict(current or {})
    for key, value in (params.get("metadata") or {}).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def page(items: list[Obj], query: Obj, url: str) -> Obj:
    """One page of a list, with Stripe's `limit` and `starting_after` cursor."""
    limit = to_int(query.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid("Limit must be between 1 and 100.", "limit")
    after = query.get("starting_after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "url": url, "has_more": len(items) > limit, "data": items[:limit]}
