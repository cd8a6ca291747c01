"""`ProviderSecret`: a decrypted provider key that never shows itself by accident.

Its repr and str show the provider and the last four characters only; the key comes out
through `reveal()`, which the gateway calls at the moment it builds an upstream request.
It refuses to be pickled, so it cannot slip into a cache, a queue or a log record whole.
"""

from __future__ import annotations

from typing import NoReturn

LAST_CHARS = 4


def last_four(secret: str) -> str:
    """The characters a dashboard may show of a key (fewer when the key is very short)."""
    return secret[-LAST_CHARS:] if len(secret) > 2 * LAST_CHARS else ""


def masked(provider: str, last: str) -> str:
    """A display form such as `openai …wxyz`."""
    return f"{provider} …{last}" if last else f"{provider} …"


class ProviderSecret:
    """One provider key in clear, held without ever being printed."""

    __slots__ = ("_value", "last_four", "provider")

    def __init__(self, provider: str, value: str) -> None:
        self.provider = provider
        self._value = value
        self.last_four = last_four(value)

    def reveal(self) -> str:
        """The key itself, for the request header that needs it and nothing else."""
        return self._value

    def __repr__(self) -> str:
        return f"ProviderSecret({masked(self.provider, self.last_four)!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProviderSecret):
            return NotImplemented
        return (self.provider, self._value) == (other.provider, other._value)

    def __hash__(self) -> int:
        return hash((self.provider, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a ProviderSecret cannot be pickled")
