-- Sign-in attempts of one email from one client address, with exponential backoff; one hash per pair.
-- KEYS[1] the pair's hash {failures, until}.
-- ARGV[1] 'attempt' or 'success'; ARGV[2] attempts free of delay; ARGV[3] first delay in ms;
-- ARGV[4] longest delay in ms; ARGV[5] ms of quiet after which the count is forgotten;
-- ARGV[6] now in ms, or '' for the Redis server's clock.
-- 'attempt' counts the attempt as a failure up front (so parallel guesses cannot slip past the
-- delay) and returns 0, or returns the ms to wait without counting. 'success' forgets the pair.
local key = KEYS[1]
if ARGV[1] == 'success' then
  redis.call('DEL', key)
  return 0
end
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local forget = tonumber(ARGV[5])
local now = tonumber(ARGV[6])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', key, 'failures', 'until')
local failures = tonumber(state[1]) or 0
local untilMs = tonumber(state[2]) or 0
if now < untilMs then
  return untilMs - now
end
failures = failures + 1
untilMs = 0
if failures >= free then
  untilMs = now + math.min(cap, base * 2 ^ (failures - free))
end
redis.call('HSET', key, 'failures', failures, 'until', untilMs)
redis.call('PEXPIRE', key, math.max(0, untilMs - now) + forget)
return 0
