#!/usr/bin/env bash
# Install the system tools the web app and its browser tests need, where they are missing.
#
#   scripts/install-system-deps.sh [web] [browser]     (no argument: both)
#
#   web      bun, which Reflex uses to install and build the frontend. It comes from the
#            npm registry: Reflex's own bun installer downloads from elsewhere, which fails
#            on machines that reach only the package registries.
#   browser  Debian's chromium at /usr/bin/chromium, for the Playwright tests (Playwright
#            cannot download its own browser build here).
#
# Idempotent and quiet on success; prints the installer's output when a step fails.
set -euo pipefail

# Reflex 0.10 refuses an older bun (and then tries to download its own).
readonly BUN_MIN_VERSION="1.4.4"
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

version_at_least() {
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

install_bun() {
    if command -v bun >/dev/null && version_at_least "$(bun --version)" "$BUN_MIN_VERSION"; then
        return
    fi
    command -v npm >/dev/null || fail "npm is missing: install Node.js with npm first"
    if [[ -w "$(npm prefix -g)" ]]; then
        quietly npm install -g --no-fund --no-audit bun
    else
        quietly as_root npm install -g --no-fund --no-audit bun
    fi
    hash -r
    command -v bun >/dev/null || fail "bun was installed but is not on PATH ($(npm prefix -g)/bin)"
    bun --version >/dev/null || fail "bun was installed but does not run"
}

install_chromium() {
    [[ -x "$CHROMIUM_PATH" ]] && return
    command -v apt-get >/dev/null || fail "apt-get not found: install chromium at $CHROMIUM_PATH"
    quietly as_root apt-get update -qq
    quietly as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq chromium
    [[ -x "$CHROMIUM_PATH" ]] || fail "chromium installed, but $CHROMIUM_PATH is missing"
}

main() {
    local components=("$@")
    [[ ${#components[@]} -gt 0 ]] || components=(web browser)
    for component in "${components[@]}"; do
        case "$component" in
            web) install_bun ;;
            browser) install_chromium ;;
            *) fail "unknown component '$component' (expected: web, browser)" ;;
        esac
    done
}

main "$@"
