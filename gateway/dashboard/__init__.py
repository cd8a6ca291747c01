"""What the web app's dashboard and docs read, as plain values: no Reflex here.

- `overview`: an organization's usage over a range (usage_daily plus today's live
  numbers from request_logs), rates and latency percentiles
- `figures`: pure builders from those rows to plotly figures
- `keys`: API key management with roles enforced, cache invalidation and rotation
- `snippets`: copy-paste quickstart code for a base URL and key
- `reference`: the API reference, derived from the gateway's OpenAPI document
"""
