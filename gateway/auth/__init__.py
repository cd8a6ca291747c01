"""Who is signed in to the web app: accounts, passwords, sessions, throttling and GitHub.

- `passwords`: argon2id hashing, and verification that costs the same for unknown users
- `accounts`: sign-up (user, organization, owner membership and first key at once),
  password sign-in, GitHub users, and organizations created later by a signed-in user
- `memberships`: which organizations a user belongs to, with which role
- `permissions`: what each role may do (pure)
- `sessions`: server-side web sessions in Redis, behind an opaque random token
- `throttle`: failed sign-ins counted per account and per address
- `github`: the OAuth authorization-code flow against GitHub (authlib)
- `service`: the façade the web app calls, asynchronous, tying the above together

Nothing here knows about Reflex: the web app keeps only the opaque session token,
in an HttpOnly cookie, and asks this package who it belongs to.
"""
