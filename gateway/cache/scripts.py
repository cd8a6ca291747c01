"""The Lua scripts of the cache store: one call stores (and evicts), one clears a scope.

Key layout, all under the organization's hash tag (one Redis Cluster slot per tenant):

    gw:cache:{org}:e:<exact>   HASH  b body, c cost (micro-USD), s scope, x expires (ms); TTL
    gw:cache:{org}:s:<scope>   HASH  <exact> -> packed member (vector + text), "" if exact-only
    gw:cache:{org}:lru         ZSET  "<scope>:<exact>" by last use (ms): the per-tenant cap
    gw:cache:{org}:exp         ZSET  "<scope>:<exact>" by expiry (ms): reaps dead members
    gw:cache:{org}:log         STREAM add / del / clear events other processes follow
    gw:cache:{org}:scopes      HASH  <scope> -> label (model, system prompt preview, turns)
    gw:cache:{org}:stats       HASH  exact, semantic, miss, saved (micro-USD); never cleared

The scripts build entry and scope keys from the prefix they are given; every such key
carries the same hash tag as the declared keys, so it lives in the same slot.
"""

from __future__ import annotations

_FORGET = """
local function forget(prefix, member, lru, exp, log, maxlen)
  local sep = string.find(member, ':', 1, true)
  local scope, exact = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  redis.call('DEL', prefix .. 'e:' .. exact)
  redis.call('HDEL', prefix .. 's:' .. scope, exact)
  redis.call('ZREM', lru, member)
  redis.call('ZREM', exp, member)
  redis.call('XADD', log, 'MAXLEN', '~', maxlen, '*', 'op', 'del', 's', scope, 'e', exact)
end
"""

# KEYS: entry, scope hash, lru, exp, log, scopes
# ARGV: prefix, scope, exact, body, cost, now_ms, ttl_ms, member, cap, log_maxlen, label,
#       reap_limit
# Stores the entry, indexes it, logs it; then forgets up to reap_limit expired members and
# the least recently used ones over the cap. Returns the number forgotten.
PUT_SCRIPT = (
    _FORGET
    + """
local prefix, scope, exact = ARGV[1], ARGV[2], ARGV[3]
local now, ttl, maxlen = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[10]
local expires = now + ttl
redis.call('HSET', KEYS[1], 'b', ARGV[4], 'c', ARGV[5], 's', scope, 'x', expires)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], exact, ARGV[8])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('HSET', KEYS[6], scope, ARGV[11])
local member = scope .. ':' .. exact
redis.call('ZADD', KEYS[3], now, member)
redis.call('ZADD', KEYS[4], expires, member)
redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxlen, '*',
  'op', 'add', 's', scope, 'e', exact, 'v', ARGV[8])
local forgotten = 0
local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[12]))
for _, m in ipairs(dead) do
  forget(prefix, m, KEYS[3], KEYS[4], KEYS[5], maxlen)
  forgotten = forgotten + 1
end
local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[9])
if over > 0 then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, over - 1)) do
    forget(prefix, m, KEYS[3], KEYS[4], KEYS[5], maxlen)
    forgotten = forgotten + 1
  end
end
return forgotten
"""
)

# KEYS: scope hash, lru, exp, log, scopes
# ARGV: prefix, scope, log_maxlen
# Forgets every entry of one scope and logs one clear event. Returns the entries removed.
CLEAR_SCOPE_SCRIPT = """
local prefix, scope = ARGV[1], ARGV[2]
local entries = redis.call('HKEYS', KEYS[1])
for _, exact in ipairs(entries) do
  redis.call('DEL', prefix .. 'e:' .. exact)
  redis.call('ZREM', KEYS[2], scope .. ':' .. exact)
  redis.call('ZREM', KEYS[3], scope .. ':' .. exact)
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[5], scope)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'op', 'clear', 's', scope, 'e', '')
return #entries
"""

# KEYS: entry, stats, lru
# ARGV: now_ms, status ("exact" or "semantic"), lru member ("<scope>:<exact>")
# The entry's body, cost and expiry (as HMGET gives them); when it is alive, also counts a
# hit of `status` with the money it saved and refreshes its LRU rank: a hit in one call.
HIT_SCRIPT = """
local v = redis.call('HMGET', KEYS[1], 'b', 'c', 'x')
if v[1] and v[3] and tonumber(v[3]) > tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  local saved = tonumber(v[2]) or 0
  if saved > 0 then redis.call('HINCRBY', KEYS[2], 'saved', saved) end
  redis.call('ZADD', KEYS[3], 'XX', ARGV[1], ARGV[3])
end
return v
"""
