"""A new API key's one trip to the browser: shown once, and never kept on the server.

Reflex persists every state var of a tab, backend-only ones included, in its state
manager (Redis when `REDIS_URL` is set), for as long as the tab's state lives. So a key
never becomes state: the event handler that creates it returns `show_key(...)`, a
script the browser runs, which puts the key in `REVEALED_KEY`, a variable that exists
only in the page (React state, via Reflex's client-side state vars). The key panel, its
copy button and the quickstart snippets read it there (`components.key_reveal`), and
only while the tab's state says a key is showing: state keeps only what is not secret,
that a key is showing and its display prefix.

One path leaves the page before the key is shown: confirming a sign-up creates the
first key, then hands the session over through an HTTP redirect (only an HTTP response
can set the HttpOnly cookie), which reloads the page. `carry_key_then_go` puts the key
in the tab's `sessionStorage` for that one navigation; the first page to read
`REVEALED_KEY` after it takes the key out of storage.

A reload, or a link that reloads the document, forgets the key: it was shown once.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.experimental.client_state import ClientStateVar

CARRIED_KEY_ITEM = "routerai.new-key"

# Taken, and removed, from sessionStorage where a page reads the key for the first time.
_TAKE_CARRIED_KEY = (
    "((store) => { if (!store) { return ''; } "
    f"const key = store.getItem({json.dumps(CARRIED_KEY_ITEM)}) ?? ''; "
    f"store.removeItem({json.dumps(CARRIED_KEY_ITEM)}); return key; }})"
    "(typeof window === 'undefined' ? null : window.sessionStorage)"
)

REVEALED_KEY = ClientStateVar.create(
    "revealed_key", default=rx.Var(_TAKE_CARRIED_KEY).to(str), global_ref=True
)


def show_key(api_key: str) -> rx.event.EventSpec:
    """The event that hands `api_key` to the page: return or yield it from a handler."""
    return REVEALED_KEY.push(api_key)


def forget_key() -> rx.event.EventSpec:
    """The event that takes the key off the page once the user is done with it."""
    return REVEALED_KEY.push("")


def carry_key_then_go(api_key: str, url: str) -> rx.event.EventSpec:
    """Keep `api_key` in the tab's sessionStorage, then load `url` in its place."""
    return rx.call_script(
        f"window.sessionStorage.setItem({json.dumps(CARRIED_KEY_ITEM)}, {json.dumps(api_key)}); "
        f"window.location.replace({json.dumps(url)})"
    )
