-- Running jobs of one user across the fleet (USER_MAX_CONCURRENT_JOBS), one sorted set per user:
-- member a holder token, score the instant (ms) its lease ends. A subscriber that dies leaves its
-- slot to lapse with the lease; living ones renew theirs.
-- KEYS[1] the user's set. ARGV[1] op: 'take' | 'renew' | 'release'; ARGV[2] limit; ARGV[3] lease
-- in ms; ARGV[4] now in ms, or '' for the Redis server's clock; ARGV[5..] holder tokens.
-- take: 1 when a slot was taken for ARGV[5], else 0. renew: how many of the tokens still held a
-- slot (and now hold it for another lease). release: 0.
local key = KEYS[1]
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
if op == 'release' then
  for i = 5, #ARGV do redis.call('ZREM', key, ARGV[i]) end
  return 0
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local result = 0
if op == 'take' then
  if redis.call('ZCARD', key) >= limit then return 0 end
  redis.call('ZADD', key, now + lease, ARGV[5])
  result = 1
elseif op == 'renew' then
  for i = 5, #ARGV do result = result + redis.call('ZADD', key, 'XX', 'CH', now + lease, ARGV[i]) end
end
if redis.call('ZCARD', key) > 0 then redis.call('PEXPIRE', key, lease + 1000) end
return result
