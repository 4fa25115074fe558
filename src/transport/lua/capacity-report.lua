-- A Pub/Sub subscriber's heartbeat (issue 21): what it can take now, for the scheduler's admission.
-- KEYS[1] the fleet's capacity hash: one field per subscriber, `expires_ms,payload`, and the field
-- `!lost` with the last time any subscriber dropped messages (shed, or given up at stop).
-- ARGV[1] instance; ARGV[2] payload `free,room,ahead,rate,slots`, or '' to leave; ARGV[3] TTL ms;
-- ARGV[4] '1' when messages were dropped since the last report.
-- Times are the Redis server's, so every process shares one clock. Returns the server time (ms).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], tostring(now + ttl) .. ',' .. ARGV[2])
end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], '!lost', tostring(now))
end
-- Gone with the last subscriber: a fleet that stopped reporting has no capacity to report.
redis.call('PEXPIRE', KEYS[1], ttl * 4)
return now
