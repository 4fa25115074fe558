-- Fleet-wide token bucket for LLM requests (LLM_MAX_RPM), one hash per bucket.
-- KEYS[1] bucket key; ARGV[1] refill rate in tokens per millisecond; ARGV[2] capacity (burst).
-- Returns 0 when a token was taken, else the milliseconds until one will be available.
-- Time comes from the Redis server so that every process shares one clock.
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts)))
-- An idle bucket is full again after burst/rate ms; let it expire then.
redis.call('PEXPIRE', key, math.ceil(burst / rate) + 1000)
return wait
