-- LLM jobs per user in a sliding window (USER_MAX_JOBS_PER_HOUR), one sorted set per user. The
-- jobs of one event-loop turn come as one call (KEYS of one slot), counted in order: two jobs of
-- one user in the same call see each other.
-- KEYS[i] job i's user's set (member: one job's start, score: its time in ms).
-- ARGV[1] limit; ARGV[2] window in ms; ARGV[3] now in ms, or '' for the Redis server's clock
-- (one clock for every process; tests pass their own); ARGV[3 + i] a unique member for job i.
-- Returns, per job, 0 when it may run (and counts it), else the ms until the oldest job leaves the window.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local out = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    out[i] = math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
  else
    redis.call('ZADD', key, now, ARGV[3 + i])
    redis.call('PEXPIRE', key, window)
    out[i] = 0
  end
end
return out
