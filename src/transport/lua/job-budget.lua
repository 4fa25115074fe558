-- One user's LLM jobs in a sliding window (USER_MAX_JOBS_PER_HOUR), one sorted set per user.
-- KEYS[1] the user's set (member: one job's start, score: its time in ms).
-- ARGV[1] limit; ARGV[2] window in ms; ARGV[3] now in ms, or '' for the Redis server's clock
-- (one clock for every process; tests pass their own); ARGV[4] a unique member for this job.
-- Returns 0 when the job may run (and counts it), else the ms until the oldest job leaves the window.
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return 0
