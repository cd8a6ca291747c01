"""Organization slugs: the tenant's name inside its API keys (`gw_<slug>_<env>_<secret>`).

A slug is 3-32 characters of lowercase letters, digits and hyphens, starting
and ending with a letter or digit. Underscores are excluded because they
separate the parts of an API key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 32
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,30}[a-z0-9]")
_SHORT_SLUG_SUFFIX = "-org"


def is_valid_slug(slug: str) -> bool:
    """True when `slug` may name an organization."""
    return SLUG_PATTERN.fullmatch(slug) is not None


def validate_slug(slug: str) -> str:
    """`slug` itself when valid; otherwise a ValueError saying what a slug may contain."""
    if not is_valid_slug(slug):
        raise ValueError(
            f"invalid slug {slug!r}: use {SLUG_MIN_LENGTH}-{SLUG_MAX_LENGTH} lowercase letters, "
            "digits and hyphens, starting and ending with a letter or digit (no underscores)"
        )
    return slug


def slugify(name: str) -> str:
    """A valid slug derived from an organization name ("Acme, Inc." -> "acme-inc").

    Accents are folded to ASCII, every other run of non-alphanumerics becomes
    one hyphen, and a too-short result gets "-org" appended ("AI" -> "ai-org").
    Raises ValueError when the name holds no letter or digit at all.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot derive a slug from {name!r}: it has no letter or digit")
    slug = slug[:SLUG_MAX_LENGTH].rstrip("-")
    if len(slug) < SLUG_MIN_LENGTH:
        slug += _SHORT_SLUG_SUFFIX
    return validate_slug(slug)


def slug_candidates(base: str, count: int) -> Iterator[str]:
    """`base`, then `base-2`, `base-3`, … (`count` in all), each trimmed to fit 32 characters."""
    yield base
    for n in range(2, count + 1):
        suffix = f"-{n}"
        yield base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
