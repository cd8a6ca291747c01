"""The gateway's ASGI application: `gateway.api.app.create_app` builds it.

The package itself imports nothing, so the pipeline can use its validation module
without importing the application (and the pipeline through it) first.
"""
