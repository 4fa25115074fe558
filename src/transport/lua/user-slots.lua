-- Running jobs of users across the fleet (USER_MAX_CONCURRENT_JOBS), one sorted set per user:
-- member a holder token, score the instant (ms) its lease ends. A subscriber that dies leaves its
-- slot to lapse with the lease; living ones renew theirs.
-- ARGV[1] op: 'take' | 'release' | 'renew'; ARGV[2] limit; ARGV[3] lease in ms; ARGV[4] now in
-- ms, or '' for the Redis server's clock.
-- take, release: the jobs of one event-loop turn (KEYS of one slot), job i's user's set KEYS[i]
--   and its holder token ARGV[4 + i], in order: two jobs of one user in the call see each other.
--   Both answer per job: take 1 when a slot was taken, else 0; release 0.
-- renew: KEYS[1] one user's set, ARGV[5..] the tokens this process holds there; answers how many
--   still held a slot (and now hold it for another lease).
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function keep(key)
  if redis.call('ZCARD', key) > 0 then redis.call('PEXPIRE', key, lease + 1000) end
end
if op == 'release' then
  local out = {}
  for i, key in ipairs(KEYS) do
    redis.call('ZREM', key, ARGV[4 + i])
    out[i] = 0
  end
  return out
end
if op == 'take' then
  local out = {}
  for i, key in ipairs(KEYS) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    if redis.call('ZCARD', key) >= limit then
      out[i] = 0
    else
      redis.call('ZADD', key, now + lease, ARGV[4 + i])
      out[i] = 1
    end
    keep(key)
  end
  return out
end
-- renew
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local result = 0
for i = 5, #ARGV do result = result + redis.call('ZADD', key, 'XX', 'CH', now + lease, ARGV[i]) end
keep(key)
return result
