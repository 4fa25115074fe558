-- The one token bucket of the fleet, with the provider's pauses: LLM_MAX_TPM (a call reserves its
-- estimate, then corrects it by the usage reported), LLM_MAX_RPM and the API's request limits (each
-- request reserves 1, with no pause key). One atomic step per call.
-- KEYS[1] the bucket (hash: tokens, ts); KEYS[2], optional, the pause of one endpoint+key (string:
-- the instant in ms until which calls wait), in the bucket's slot (one hash tag).
-- ARGV[1] op: 'reserve' | 'correct' | 'pause'
-- ARGV[2] amount: tokens to reserve; tokens used beyond the reservation (negative: given back);
--         or the pause in ms
-- ARGV[3] refill rate in tokens per ms (0: no token budget, pauses only); ARGV[4] capacity
-- ARGV[5] now in ms, or '' for the Redis server's clock (one clock for every process; tests pass their own)
-- reserve returns 0 when reserved, else the ms to wait (a pause, or until the bucket has room);
-- correct and pause return 0.
local op = ARGV[1]
local amount = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

if op == 'pause' then
  local until_ms = now + amount
  local current = tonumber(redis.call('GET', KEYS[2]))
  -- A shorter pause never cuts a longer one short.
  if current == nil or current < until_ms then
    redis.call('SET', KEYS[2], tostring(until_ms), 'PX', math.max(1, math.ceil(amount)) + 1000)
  end
  return 0
end

if op == 'reserve' and KEYS[2] ~= nil then
  local paused = tonumber(redis.call('GET', KEYS[2]))
  if paused ~= nil and paused > now then
    return math.ceil(paused - now)
  end
end
if rate <= 0 then
  return 0
end

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
end

local wait = 0
if op == 'reserve' then
  -- A call larger than the whole bucket goes once the bucket is full, leaving it in debt.
  local need = math.min(amount, capacity)
  if tokens >= need then
    tokens = tokens - amount
  else
    wait = math.max(1, math.ceil((need - tokens) / rate))
  end
elseif op == 'correct' then
  tokens = math.min(capacity, tokens - amount)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts)))
-- Full again after (capacity - tokens) / rate ms when idle; let it expire then.
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return wait
