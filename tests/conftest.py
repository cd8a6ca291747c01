"""Shared fixtures. Each area's fixtures live in tests/fixtures/ as a plugin of its own."""

pytest_plugins = [
    "tests.fixtures.redis",
    "tests.fixtures.db",
    "tests.fixtures.sandbox",
]


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Browser tests run last: Playwright's sync API keeps an event loop running in the
    main thread for as long as its session-scoped browser lives."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.path).replace("\\", "/"))
