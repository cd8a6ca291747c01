"""The gateway's ASGI application."""

from gateway.api.app import create_app

__all__ = ["create_app"]
