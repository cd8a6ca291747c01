"""The Lua scripts of the health, breaker and platform rate-limit stores.

Each script touches one key (or keys sharing one hash tag), so all of them run on Redis
Cluster. The breaker scripts mirror `gateway.health.breaker` and the observe script mirrors
`gateway.health.ewma`; the parity tests replay the same sequences on both.

Breaker hash (`gw:breaker:<provider>:<platform|org id>`): `s` status (0 closed, 1 open,
2 half-open), `c` consecutive failures, `ws`/`wt`/`wf` window start (ms), results and failures
in it, `o` opened at (ms), `p` probe lease until (ms). A missing hash is a closed breaker.
Every reply is the state after the call, in that field order, for the caller's cache.
"""

from __future__ import annotations

_BREAKER_HELPERS = """
local function int(x) return string.format('%d', x) end

local function load(key)
  local v = redis.call('HMGET', key, 's', 'c', 'ws', 'wt', 'wf', 'o', 'p')
  for i = 1, 7 do v[i] = tonumber(v[i]) or 0 end
  return v
end

local function save(key, st, ttl)
  redis.call('HSET', key, 's', int(st[1]), 'c', int(st[2]), 'ws', int(st[3]), 'wt', int(st[4]),
             'wf', int(st[5]), 'o', int(st[6]), 'p', int(st[7]))
  redis.call('EXPIRE', key, ttl)
end
"""

# breaker.admit: may an attempt go through? Past its cool-down, the caller becomes the probe.
#
# KEYS[1] breaker hash. ARGV[1] now (ms), [2] cool-down (ms), [3] probe lease (ms), [4] key TTL (s).
# Returns {allowed (1/0), state fields...}.
ALLOW_SCRIPT = (
    _BREAKER_HELPERS
    + """
local st = load(KEYS[1])
local now, cooldown, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local allowed = 1
if st[1] == 1 and now < st[6] + cooldown then
  allowed = 0
elseif st[1] == 2 and now < st[7] then
  allowed = 0
elseif st[1] ~= 0 then
  st[1], st[7] = 2, now + lease
  save(KEYS[1], st, ARGV[4])
end
return {allowed, st[1], st[2], st[3], st[4], st[5], st[6], st[7]}
"""
)

# breaker.record: the state after an attempt that succeeded or failed.
#
# KEYS[1] breaker hash. ARGV[1] now (ms), [2] 1 succeeded / 0 failed, [3] failure threshold,
# [4] error ratio (per mille), [5] min volume, [6] window (ms), [7] key TTL (s),
# [8] earlier successes not yet recorded (a closed breaker's batch), applied first.
# Returns the state fields.
RECORD_SCRIPT = (
    _BREAKER_HELPERS
    + """
local st = load(KEYS[1])
local now, ok = tonumber(ARGV[1]), ARGV[2] == '1'
local threshold, permille = tonumber(ARGV[3]), tonumber(ARGV[4])
local volume, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local earlier = tonumber(ARGV[8] or '0')
if earlier > 0 and st[1] == 0 then
  if now - st[3] >= window then st[3], st[4], st[5] = now, 0, 0 end
  st[2], st[4] = 0, st[4] + earlier
end
if st[1] == 1 then
  return st
end
if st[1] == 2 then
  if ok then st = {0, 0, now, 0, 0, 0, 0} else st = {1, 0, now, 0, 0, now, 0} end
else
  if now - st[3] >= window then st[3], st[4], st[5] = now, 0, 0 end
  st[4] = st[4] + 1
  if ok then st[2] = 0 else st[2], st[5] = st[2] + 1, st[5] + 1 end
  local trips = st[2] >= threshold or (st[4] >= volume and st[5] * 1000 >= permille * st[4])
  if not ok and trips then
    st = {1, 0, now, 0, 0, now, 0}
  else
    st[6], st[7] = 0, 0
  end
end
save(KEYS[1], st, ARGV[7])
return st
"""
)

# ewma.observe for a batch of attempts, in order.
#
# KEYS[1] the health hash (fields `<provider>:l` latency ms, `:e` error rate, `:n` samples,
# `:t` updated at, ms). ARGV[1] alpha, [2] now (ms), [3] key TTL (s), then one triple per
# attempt: provider, latency (ms), 1 succeeded / 0 failed.
# Each provider's averages are read once, moved by each of its attempts in turn, and written
# once, with every provider of the batch, in one HSET: two calls per batch and provider
# rather than per attempt (a busy process sends dozens of attempts a batch). '%.17g' keeps
# every bit of a double, so the result is the one attempt-by-attempt writes would leave.
OBSERVE_SCRIPT = """
local h = KEYS[1]
local alpha, now = tonumber(ARGV[1]), ARGV[2]
local averages, providers = {}, {}
for i = 4, #ARGV, 3 do
  local p, latency, ok = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2] == '1'
  local a = averages[p]
  if a == nil then
    local v = redis.call('HMGET', h, p .. ':l', p .. ':e', p .. ':n')
    a = {l = tonumber(v[1]), e = tonumber(v[2]) or 0, n = tonumber(v[3]) or 0}
    averages[p] = a
    providers[#providers + 1] = p
  end
  local outcome = 1
  if ok then outcome = 0 end
  a.e = a.e + alpha * (outcome - a.e)
  if ok then
    if a.l == nil then a.l = latency else a.l = a.l + alpha * (latency - a.l) end
  end
  a.n = a.n + 1
end
local fields = {}
for _, p in ipairs(providers) do
  local a = averages[p]
  fields[#fields + 1] = p .. ':e'
  fields[#fields + 1] = string.format('%.17g', a.e)
  fields[#fields + 1] = p .. ':n'
  fields[#fields + 1] = a.n
  fields[#fields + 1] = p .. ':t'
  fields[#fields + 1] = now
  if a.l ~= nil then
    fields[#fields + 1] = p .. ':l'
    fields[#fields + 1] = string.format('%.17g', a.l)
  end
end
if #fields > 0 then redis.call('HSET', h, unpack(fields)) end
redis.call('EXPIRE', h, ARGV[3])
return 1
"""

# One request against a platform key's per-second and per-minute counters.
#
# KEYS[1] this second's counter, KEYS[2] this minute's (same hash tag: the provider).
# ARGV[1] per-second limit, [2] per-minute limit (-1: none).
# Returns {1, 0} and counts the request, or {0, which window refused (1 second, 2 minute)}
# and counts nothing.
PLATFORM_LIMIT_SCRIPT = """
local per_second, per_minute = tonumber(ARGV[1]), tonumber(ARGV[2])
local second = tonumber(redis.call('GET', KEYS[1]) or '0')
local minute = tonumber(redis.call('GET', KEYS[2]) or '0')
if per_second >= 0 and second >= per_second then return {0, 1} end
if per_minute >= 0 and minute >= per_minute then return {0, 2} end
if per_second >= 0 then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], 2)
end
if per_minute >= 0 then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], 61)
end
return {1, 0}
"""
