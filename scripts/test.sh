#!/usr/bin/env bash
# Every test, in two pytest sessions side by side: the browser tests (tests/e2e), whose
# time goes mostly to the web app, Chromium and the build, and the rest. Each session has
# its own Redis database (2 and 15) and creates its own PostgreSQL databases, as a serial
# run would. The rest report as they run; the browser session's report follows at the end
# (and is kept in test-artifacts/browser-tests.log). Options (-x, -k ...) go to both.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p test-artifacts
log=test-artifacts/browser-tests.log
.venv/bin/python -m pytest tests/e2e "$@" >"$log" 2>&1 &
browser=$!

.venv/bin/python -m pytest --ignore=tests/e2e "$@"
rest=$?
if kill -0 "$browser" 2>/dev/null; then
    echo "(waiting for the browser tests: test-artifacts/browser-tests.log)"
fi
wait "$browser"
browser_status=$?

echo
echo "======================== the browser tests (tests/e2e) ========================"
cat "$log"
if [ "$rest" -ne 0 ] || [ "$browser_status" -ne 0 ]; then
    echo "tests failed: the rest exited $rest, the browser tests $browser_status" >&2
    exit 1
fi
