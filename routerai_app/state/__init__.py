"""Reflex states: one module per page, on top of the shared `SessionState`."""
