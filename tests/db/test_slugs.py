"""Slug rules and derivation from organization names."""

from __future__ import annotations

import pytest

from gateway.db.slugs import is_valid_slug, slug_candidates, slugify, validate_slug


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme", "acme"),
        ("Acme, Inc.", "acme-inc"),
        ("  Hello   World  ", "hello-world"),
        ("Crème Brûlée Labs", "creme-brulee-labs"),
        ("snake_case_corp", "snake-case-corp"),
        ("AI", "ai-org"),
        ("X", "x-org"),
        ("42", "42-org"),
        ("A" * 40, "a" * 32),
        ("a" * 31 + " b", "a" * 31),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert is_valid_slug(slug)


@pytest.mark.parametrize("name", ["", "   ", "!!!", "日本語", "___"])
def test_names_without_letters_or_digits_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="no letter or digit"):
        slugify(name)


@pytest.mark.parametrize(
    "slug",
    ["ab", "a" * 33, "acme_corp", "Acme", "-acme", "acme-", "ac me", "acmé", ""],
)
def test_invalid_slugs(slug: str) -> None:
    assert not is_valid_slug(slug)
    with pytest.raises(ValueError, match="invalid slug"):
        validate_slug(slug)


@pytest.mark.parametrize("slug", ["abc", "a-b", "acme-2", "9lives", "a" * 32])
def test_valid_slugs(slug: str) -> None:
    assert validate_slug(slug) == slug


def test_candidates_are_numbered_and_fit() -> None:
    assert list(slug_candidates("acme", 3)) == ["acme", "acme-2", "acme-3"]
    long = "a" * 30 + "-b"
    for candidate in slug_candidates(long, 12):
        assert is_valid_slug(candidate), candidate
    assert list(slug_candidates(long, 12))[-1] == "a" * 29 + "-12"
