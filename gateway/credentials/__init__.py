"""Tenants' own provider keys (BYOK): encrypted at rest, checked before they are stored.

- `crypto`: AES-256-GCM under a key derived from the secret key; org and provider bound.
- `secret`: `ProviderSecret`, a key in clear that never prints itself.
- `check`: does the provider accept a key (the HTTP call injected)?
- `store`: the table's functions (session in, plain values out).
- `service`: `CredentialService`, for the dashboard: validate, check, store, list, remove.
- `vault`: `CredentialVault`, for the gateway: `get_secret(org_id, provider)`, cached briefly.

The package re-exports nothing: `secret` and `check` stay importable without the data layer
(the router imports `secret`), so import from the module you need.
"""
