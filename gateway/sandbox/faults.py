"""Fault injection: the fault syntax, and the board of faults armed per provider.

A fault is written as comma-separated items (see the package docstring), for example
`latency=200`, `error=503`, `error=529@3`, `hang`, `cut=5`, `malformed`, `overcount=1.5`,
`pad=1000000` or `latency=100,error=500`. `parse_fault` turns that text into a `Fault`; the
`FaultBoard` holds the faults armed through `/_sandbox/faults`, each for a number of
requests or until cleared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

ALL_PROVIDERS = "*"


class FaultSyntaxError(ValueError):
    """The fault text does not follow the documented syntax."""


@dataclass(frozen=True, slots=True)
class Fault:
    """What to break in one response. The empty `Fault()` breaks nothing."""

    latency_ms: int = 0
    error_status: int | None = None
    error_after: int | None = None
    hang: bool = False
    cut_after: int | None = None
    malformed: bool = False
    overcount: float = 1.0
    pad_bytes: int = 0

    def prompt(self, tokens: int) -> int:
        """The prompt tokens a usage report gives for `tokens` (`overcount` times them)."""
        return math.ceil(tokens * self.overcount)

    @property
    def latency_s(self) -> float:
        """The injected latency in seconds."""
        return self.latency_ms / 1000

    @property
    def fails_upfront(self) -> bool:
        """An error answered instead of the response (not an in-stream error)."""
        return self.error_status is not None and self.error_after is None


NO_FAULT = Fault()


def _number(key: str, text: str) -> int:
    if not text.isdigit():
        raise FaultSyntaxError(f"{key}= expects a non-negative integer, got {text!r}")
    return int(text)


def _factor(text: str) -> float:
    try:
        factor = float(text)
    except ValueError:
        raise FaultSyntaxError(f"overcount= expects a decimal number, got {text!r}") from None
    if not 0.1 <= factor <= 100:
        raise FaultSyntaxError(f"overcount= expects 0.1 to 100, got {factor}")
    return factor


def _status(text: str) -> int:
    status = _number("error", text)
    if not 400 <= status <= 599:
        raise FaultSyntaxError(f"error= expects an HTTP status from 400 to 599, got {status}")
    return status


def _apply_item(fault: Fault, item: str) -> Fault:
    key, _, value = item.partition("=")
    key = key.strip().lower()
    value = value.strip()
    if key == "hang" and not value:
        return replace(fault, hang=True)
    if key == "malformed" and not value:
        return replace(fault, malformed=True)
    if key == "latency":
        return replace(fault, latency_ms=_number(key, value))
    if key == "cut":
        return replace(fault, cut_after=_number(key, value))
    if key == "overcount":
        return replace(fault, overcount=_factor(value))
    if key == "pad":
        return replace(fault, pad_bytes=_number(key, value))
    if key == "error":
        status, at, after = value.partition("@")
        error_after = _number("error=STATUS@", after) if at else None
        return replace(fault, error_status=_status(status), error_after=error_after)
    raise FaultSyntaxError(f"unknown fault {item!r}")


def parse_fault(text: str) -> Fault:
    """Parse fault text such as `latency=200,error=503`; raise FaultSyntaxError if invalid."""
    fault = NO_FAULT
    for item in text.replace(";", ",").split(","):
        if item.strip():
            fault = _apply_item(fault, item.strip())
    return fault


@dataclass(slots=True)
class _Armed:
    text: str
    fault: Fault
    remaining: int | None


class FaultBoard:
    """Faults armed per provider (or for all, under `*`), each for N requests or until cleared.

    Only the sandbox's event loop touches a board, so it needs no lock.
    """

    def __init__(self) -> None:
        self._armed: dict[str, _Armed] = {}

    def arm(self, provider: str, text: str, count: int | None) -> Fault:
        """Arm `text` for `provider`'s next `count` requests (None: until cleared)."""
        if count is not None and count < 1:
            raise FaultSyntaxError("count must be a positive integer or null")
        fault = parse_fault(text)
        self._armed[provider] = _Armed(text, fault, count)
        return fault

    def clear(self, provider: str | None = None) -> None:
        """Disarm one provider's fault, or every fault when `provider` is None."""
        if provider is None:
            self._armed.clear()
        else:
            self._armed.pop(provider, None)

    def take(self, provider: str) -> Fault:
        """The fault for one request to `provider`, using up one of its remaining count."""
        if not self._armed:
            return NO_FAULT
        armed = self._armed.get(provider) or self._armed.get(ALL_PROVIDERS)
        if armed is None:
            return NO_FAULT
        if armed.remaining is not None:
            armed.remaining -= 1
            if armed.remaining <= 0:
                self._armed = {k: v for k, v in self._armed.items() if v is not armed}
        return armed.fault

    def snapshot(self) -> dict[str, dict[str, object]]:
        """The armed faults as plain data: {provider: {"fault": text, "remaining": n}}."""
        return {p: {"fault": a.text, "remaining": a.remaining} for p, a in self._armed.items()}
