-- One process's report into the fleet hash (field: its instance, value: its JSON report).
-- KEYS[1] the fleet hash. ARGV[1] instance; ARGV[2] report JSON (without its time); ARGV[3] TTL ms;
-- ARGV[4] 'leave' to remove the field instead.
-- The report's time is the Redis server's clock, so every process is judged by one clock; the
-- hash expires when nobody reports, and readers drop fields older than the TTL (a dead process).
local key = KEYS[1]
if ARGV[4] == 'leave' then
  return redis.call('HDEL', key, ARGV[1])
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', key, ARGV[1], now .. ' ' .. ARGV[2])
redis.call('PEXPIRE', key, tonumber(ARGV[3]))
return now
