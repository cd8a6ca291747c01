"""Stage 5, routing: which (provider, model) pairs may serve a request, best first.

- `requirements`: what the body needs (capabilities, room for prompt + output).
- `eligibility`: the pairs a tenant may use and the credential each would use.
- `classifier`: simple / medium / complex from cheap features of the body.
- `scoring`: strategies and their weights; the ranking.
- `decision`: `RoutingDecision`, for the `x-routerai-route` header and request logs.
- `refusals`: the error when no pair is left.
- `router`: `Router.plan()`, the above in order, with health, breakers and keys injected.
- `selection`: `Candidate`, a (provider, model) pair with the credential to call it with.

All of it is pure policy (no Redis, SQL or HTTP imports); nothing is re-exported here.
"""
