"""The web app's build installs what reflex.lock/ pins, and leaves it as it was."""

from __future__ import annotations

from tests.e2e.server import Stack, web_lock


def test_the_build_leaves_the_web_lock_as_committed(stack: Stack) -> None:
    # Reflex installs the frontend with bun's frozen lockfile, then adds the packages the
    # Reflex in uv.lock and the app's components ask for: a lock that lacked any of them
    # would be rewritten here, so the build would not be what was tested (`make lock`
    # is where reflex.lock/ changes).
    before, after = stack.web_lock_before_build, web_lock()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert changed == []
