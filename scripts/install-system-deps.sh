#!/usr/bin/env bash
# Install the system tool the browser tests need, where it is missing: Debian's chromium at
# /usr/bin/chromium, which Playwright drives (Playwright cannot download its own browser
# build here). bun, which the web app needs, is installed by `make` into the project's
# environment at a pinned version; see the Makefile.
#
# Idempotent and quiet on success; prints the installer's output when a step fails.
set -euo pipefail

readonly CHROMIUM_PATH="/usr/bin/chromium"

log_file="$(mktemp)"
trap 'rm -f "$log_file"' EXIT

fail() {
    echo "install-system-deps: $*" >&2
    exit 1
}

# Run a command quietly; show its output only if it fails.
quietly() {
    if ! "$@" >"$log_file" 2>&1; then
        cat "$log_file" >&2
        fail "failed: $*"
    fi
}

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        fail "need root (or sudo) to run: $*"
    fi
}

[[ -x "$CHROMIUM_PATH" ]] && exit 0
command -v apt-get >/dev/null || fail "apt-get not found: install chromium at $CHROMIUM_PATH"
quietly as_root apt-get update -qq
quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
[[ -x "$CHROMIUM_PATH" ]] || fail "chromium installed, but $CHROMIUM_PATH is missing"
