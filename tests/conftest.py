"""Shared fixtures. Each area's fixtures live in tests/fixtures/ as a plugin of its own."""

import tempfile

from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis (under schemathesis) keeps its examples and a cache of constants read from the
# source, whose headers name files by absolute path: keep them out of the repository.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="routerai-hypothesis-"))

pytest_plugins = [
    "tests.fixtures.redis",
    "tests.fixtures.db",
    "tests.fixtures.sandbox",
]


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Browser tests run last: Playwright's sync API keeps an event loop running in the
    main thread for as long as its session-scoped browser lives."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.path).replace("\\", "/"))
