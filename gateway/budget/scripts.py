"""The Lua scripts of the admission store: one call to admit, one to settle, one to seed.

Each mirrors the pure functions of `gateway.ratelimit.window`, `gateway.budget.policy` and
`gateway.budget.decision`; the parity tests run the same cases against `MemoryAdmissionStore`.

Hash layout. A rate-limit scope (`gw:rl:{org}:org`, `gw:rl:{org}:key:<key_id>`) holds
`r<second>`/`t<second>` (requests/tokens per one-second bucket), running sums `R`/`T`, `c` the
newest second the window advanced to, and `n` the newest second with usage. A budget period
(`gw:budget:{org}:<period_id>`) holds settled spend `st`/`su` (tokens/micro-USD), reservations
`t<slot>`/`u<slot>` per one-minute slot with running sums `RT`/`RU`, `c` the newest slot, and
`s` once its spend is known: seeded from the database (`gateway.budget.seeding`), which an
organization with a budget needs before anything is admitted. All of an organization's keys
share the hash tag `{org}`, hence one Redis Cluster slot; the prompt factors
(`gateway.budget.factors`) are one hash for every tenant.
"""

from __future__ import annotations

from string import Template

from gateway.budget import factors
from gateway.budget.admission import REASON_CODES, Reason
from gateway.budget.policy import RESERVATION_HOLD_SLOTS, RESERVATION_SLOT_S
from gateway.ratelimit.window import SCOPE_TTL_S, WINDOW_S

_CONSTANTS = {
    "WINDOW": WINDOW_S,
    "SCOPE_TTL": SCOPE_TTL_S,
    "SLOT": RESERVATION_SLOT_S,
    "HOLD": RESERVATION_HOLD_SLOTS,
    "UNKNOWN": REASON_CODES.index(Reason.SPEND_UNKNOWN),
    "INITIAL": factors.INITIAL,
    "MIN": factors.MIN,
    "MAX": factors.MAX,
    "MARGIN": factors.MARGIN,
    "DECAY": factors.DECAY,
}


def _lua(source: str) -> str:
    """A script's source with the shared helpers and the policy's constants filled in."""
    return Template(source).substitute(_CONSTANTS, HELPERS=_HELPERS)


_HELPERS = """
local function int(x) return string.format('%d', x) end

-- window.expired_slots: the buckets <a><s>, <b><s> of hash `key` that leave its `width`-slot
-- window when it advances from slot `seen` (nil: a new window) to `slot` are deleted; returns
-- their totals, for the caller to take off its running sums.
local function advance(key, seen, slot, width, a, b)
  if seen == nil or slot <= seen then return 0, 0 end
  local first, last = seen - width + 1, math.min(slot - width, seen)
  if first > last then return 0, 0 end
  local fields = {}
  for s = first, last do
    fields[#fields + 1] = a .. s
    fields[#fields + 1] = b .. s
  end
  local values = redis.call('HMGET', key, unpack(fields))
  local drop_a, drop_b, found = 0, 0, false
  for i = 1, #fields, 2 do
    if values[i] then
      found = true
      drop_a = drop_a + tonumber(values[i])
      drop_b = drop_b + (tonumber(values[i + 1]) or 0)
    end
  end
  if found then redis.call('HDEL', key, unpack(fields)) end
  return drop_a, drop_b
end
"""

# Admit a request: check both rate-limit scopes and reserve the budget, atomically.
#
# KEYS[1] org scope hash, KEYS[2] key scope hash (untouched unless the key has a limit),
# KEYS[3] budget period hash.
# ARGV[1] now (ms since the epoch), [2] worst-case tokens (prompt + max output), [3] its cost
# (micro-USD), [4] org requests/min, [5] org tokens/min, [6] key requests/min,
# [7] key tokens/min, [8] budget token cap, [9] budget micro-USD cap (-1 in [6]-[9]: none),
# [10] budget period TTL in seconds, [11] output tokens of [2], [12] their price (micro-USD
# per million tokens).
# Returns the flat reply of `gateway.budget.decision`. A rejection counts and reserves nothing
# (it only drops buckets that had expired anyway); so does a budget whose spend is not known
# yet (reason SPEND_UNKNOWN: seed it, then ask again). TTLs are refreshed when a window moves
# on (a new second, a new minute), which is often enough for garbage collection.
ADMIT_SCRIPT = _lua("""$HELPERS
-- window.retry_after_s: seconds until the oldest buckets holding `excess` leave the window.
local function retry_after(key, field, second, excess, now_ms)
  local first = second - $WINDOW + 1
  local fields = {}
  for s = first, second do fields[#fields + 1] = field .. s end
  local values = redis.call('HMGET', key, unpack(fields))
  local freed = 0
  for i = 1, #fields do
    if values[i] then
      freed = freed + tonumber(values[i])
      if freed >= excess then
        local wait = math.ceil(((first + i - 1 + $WINDOW) * 1000 - now_ms) / 1000)
        if wait < 1 then return 1 end
        return wait
      end
    end
  end
  return $WINDOW
end

-- A scope's state: newest second seen (nil when new), requests, tokens, newest used second
-- (-1: none), and the requests and tokens already in the bucket of `second`.
local function scope(key, second)
  local v = redis.call('HMGET', key, 'c', 'R', 'T', 'n', 'r' .. second, 't' .. second)
  return tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or -1,
         tonumber(v[5]) or 0, tonumber(v[6]) or 0
end

local function pair(key, a, b)
  local v = redis.call('HMGET', key, a, b)
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0
end

local org, key, budget = KEYS[1], KEYS[2], KEYS[3]
local now_ms = tonumber(ARGV[1])
local tokens, cost = tonumber(ARGV[2]), tonumber(ARGV[3])
local org_rpm, org_tpm = tonumber(ARGV[4]), tonumber(ARGV[5])
local key_rpm, key_tpm = tonumber(ARGV[6]), tonumber(ARGV[7])
local cap_tokens, cap_usd = tonumber(ARGV[8]), tonumber(ARGV[9])
local keyed = key_rpm >= 0 or key_tpm >= 0
local output, output_price = tonumber(ARGV[11]), tonumber(ARGV[12])

-- Read everything in one call per hash, for the second and slot of the caller's clock.
local second = math.floor(now_ms / 1000)
local slot = math.floor(second / $SLOT)
local org_seen, org_r, org_t, org_n, org_br, org_bt = scope(org, second)
local key_seen, key_r, key_t, key_n, key_br, key_bt = nil, 0, 0, -1, 0, 0
if keyed then key_seen, key_r, key_t, key_n, key_br, key_bt = scope(key, second) end
local b = redis.call('HMGET', budget, 'c', 'st', 'su', 'RT', 'RU', 't' .. slot, 'u' .. slot, 's')
local budget_seen, st, su = tonumber(b[1]), tonumber(b[2]) or 0, tonumber(b[3]) or 0
local rt, ru = tonumber(b[4]) or 0, tonumber(b[5]) or 0
local slot_t, slot_u = tonumber(b[6]) or 0, tonumber(b[7]) or 0
if (cap_tokens >= 0 or cap_usd >= 0) and not b[8] then
  return {0, $UNKNOWN, 0, second, 0, 0, -1, 0, 0, -1, 0, 0, 0, 0}
end

-- window.clamp_second: never count behind a window that already moved on.
local clamped = second
if org_seen and org_seen > clamped then clamped = org_seen end
if key_seen and key_seen > clamped then clamped = key_seen end
if budget_seen and budget_seen * $SLOT > clamped then clamped = budget_seen * $SLOT end
if clamped ~= second then
  second, now_ms = clamped, clamped * 1000
  org_br, org_bt = pair(org, 'r' .. second, 't' .. second)
  if keyed then key_br, key_bt = pair(key, 'r' .. second, 't' .. second) end
  if math.floor(second / $SLOT) ~= slot then
    slot = math.floor(second / $SLOT)
    slot_t, slot_u = pair(budget, 't' .. slot, 'u' .. slot)
  end
end

local drop_r, drop_t = advance(org, org_seen, second, $WINDOW, 'r', 't')
org_r, org_t = org_r - drop_r, org_t - drop_t
if keyed then
  drop_r, drop_t = advance(key, key_seen, second, $WINDOW, 'r', 't')
  key_r, key_t = key_r - drop_r, key_t - drop_t
end
local drop_rt, drop_ru = advance(budget, budget_seen, slot, $HOLD, 't', 'u')
rt, ru = rt - drop_rt, ru - drop_ru

-- policy.output_that_fits: the most output (of `output`) the budget holds room for.
local function out_cost(n) return math.ceil(n * output_price / 1000000) end
local cap, fit = 0, output
local least = 0
if output > 0 then least = 1 end
if cap_tokens >= 0 then
  fit = math.min(fit, cap_tokens - st - rt - (tokens - output))
  if fit < least then cap = 5 end
end
if cap == 0 and cap_usd >= 0 then
  local left = cap_usd - su - ru - (cost - out_cost(output))
  if output_price > 0 then fit = math.min(fit, math.floor(left * 1000000 / output_price)) end
  if left < 0 or fit < least then cap = 6 end
end
if cap ~= 0 then fit = output end

-- decision.reservation: the worst case with its output lowered to `fit`; tokens/min counts
-- it up to the tightest limit.
local held_tokens = tokens - output + fit
local held_cost = cost - out_cost(output) + out_cost(fit)
local counted = math.min(held_tokens, org_tpm)
if key_tpm >= 0 then counted = math.min(counted, key_tpm) end

-- decision.rate_limit_rejection: the first limit hit, the longest wait over all hit.
local reason, retry = 0, 0
local function check(code, scope_key, field, used, amount, limit)
  if limit < 0 or used + amount <= limit then return end
  if reason == 0 then reason = code end
  local wait = $WINDOW
  if amount <= limit then
    wait = retry_after(scope_key, field, second, used + amount - limit, now_ms)
  end
  if wait > retry then retry = wait end
end
check(1, org, 'r', org_r, 1, org_rpm)
check(2, org, 't', org_t, counted, org_tpm)
if keyed then
  check(3, key, 'r', key_r, 1, key_rpm)
  check(4, key, 't', key_t, counted, key_tpm)
end
if reason == 0 then reason = cap end

-- One write per hash: the request's counts when admitted, the sums of a window that moved.
local admitted = reason == 0
local function save(scope_key, seen, r, t, br, bt)
  if admitted then
    redis.call('HSET', scope_key, 'c', second, 'R', int(r + 1), 'T', int(t + counted),
               'n', second, 'r' .. second, int(br + 1), 't' .. second, int(bt + counted))
  elseif seen ~= second then
    redis.call('HSET', scope_key, 'c', second, 'R', int(r), 'T', int(t))
  end
  if seen ~= second then redis.call('EXPIRE', scope_key, $SCOPE_TTL) end
end
save(org, org_seen, org_r, org_t, org_br, org_bt)
if keyed then save(key, key_seen, key_r, key_t, key_br, key_bt) end
if admitted then
  org_r, org_t, org_n = org_r + 1, org_t + counted, second
  if keyed then key_r, key_t, key_n = key_r + 1, key_t + counted, second end
  redis.call('HSET', budget, 'c', slot, 'RT', int(rt + held_tokens), 'RU', int(ru + held_cost),
             't' .. slot, int(slot_t + held_tokens), 'u' .. slot, int(slot_u + held_cost))
elseif budget_seen ~= slot then
  redis.call('HSET', budget, 'c', slot, 'RT', int(rt), 'RU', int(ru))
end
if budget_seen ~= slot then redis.call('EXPIRE', budget, ARGV[10]) end
return {admitted and 1 or 0, reason, retry, second, org_r, org_t, org_n, key_r, key_t, key_n,
        fit, held_tokens, held_cost, counted}
""")

# Settle an admitted request: correct tokens/min and the budget to the actual usage, and
# learn the model's prompt factor from what the provider counted.
#
# KEYS[1] org scope hash, KEYS[2] key scope hash, KEYS[3] budget period hash (as admitted),
# KEYS[4] the prompt factors hash, KEYS[5] (optional) the usage stream.
# ARGV[1] the admission's bucket second, [2] tokens counted against tokens/min, [3] tokens
# reserved, [4] actual tokens, [5] cost reserved (micro-USD), [6] actual cost, [7] "1" when
# the key scope was counted, [8] budget period TTL in seconds, [9] the model's factor field
# ("" when the provider reported no prompt count), [10] RouterAI's prompt estimate, [11] the
# provider's prompt count, [12...] the usage record's field/value pairs (with KEYS[5]).
# A bucket or reservation slot that already left its window is not corrected (its usage no
# longer counts); the actual spend is always added, one write per hash; the usage record is
# appended in the same atomic step. Returns 1.
SETTLE_SCRIPT = _lua("""$HELPERS
local bucket = tonumber(ARGV[1])
local delta = tonumber(ARGV[4]) - tonumber(ARGV[2])
if delta ~= 0 then
  local field = 't' .. bucket
  local scopes = 1
  if ARGV[7] == '1' then scopes = 2 end
  for i = 1, scopes do
    local v = redis.call('HMGET', KEYS[i], field, 'T')
    if v[1] then
      redis.call('HSET', KEYS[i], field, int(tonumber(v[1]) + delta),
                 'T', int((tonumber(v[2]) or 0) + delta))
    end
  end
end
local budget, slot = KEYS[3], math.floor(bucket / $SLOT)
local reserved_tokens, reserved_cost = tonumber(ARGV[3]), tonumber(ARGV[5])
local b = redis.call('HMGET', budget, 't' .. slot, 'u' .. slot, 'RT', 'RU', 'st', 'su', 'c')
local st = int((tonumber(b[5]) or 0) + tonumber(ARGV[4]))
local su = int((tonumber(b[6]) or 0) + tonumber(ARGV[6]))
if b[1] then
  redis.call('HSET', budget, 'st', st, 'su', su,
             't' .. slot, int(tonumber(b[1]) - reserved_tokens),
             'u' .. slot, int((tonumber(b[2]) or 0) - reserved_cost),
             'RT', int((tonumber(b[3]) or 0) - reserved_tokens),
             'RU', int((tonumber(b[4]) or 0) - reserved_cost))
else
  redis.call('HSET', budget, 'st', st, 'su', su)
end
-- A period hash that already existed has its TTL; one this settle created needs one.
if not b[7] then redis.call('EXPIRE', budget, ARGV[8]) end
-- factors.next_factor
local estimated, reported = tonumber(ARGV[10]), tonumber(ARGV[11])
if ARGV[9] ~= '' and estimated > 0 and reported > 0 then
  local current = tonumber(redis.call('HGET', KEYS[4], ARGV[9])) or $INITIAL
  local factor = math.max($MIN, reported / estimated * $MARGIN, current * $DECAY)
  if factor > $MAX then factor = $MAX end
  redis.call('HSET', KEYS[4], ARGV[9], string.format('%.6f', factor))
end
if KEYS[5] then redis.call('XADD', KEYS[5], '*', unpack(ARGV, 12)) end
return 1
""")

# Raise a budget period's settled spend to at least the given values, and mark it known.
#
# KEYS[1] budget period hash. ARGV[1] tokens, [2] micro-USD, [3] TTL in seconds. Returns 1.
SEED_SCRIPT = """
local v = redis.call('HMGET', KEYS[1], 'st', 'su')
if (tonumber(v[1]) or 0) < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'st', ARGV[1]) end
if (tonumber(v[2]) or 0) < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'su', ARGV[2]) end
redis.call('HSET', KEYS[1], 's', 1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
