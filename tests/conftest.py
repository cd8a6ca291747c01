"""Shared fixtures. Each area's fixtures live in tests/fixtures/ as a plugin of its own."""

pytest_plugins = [
    "tests.fixtures.redis",
    "tests.fixtures.db",
    "tests.fixtures.sandbox",
]
