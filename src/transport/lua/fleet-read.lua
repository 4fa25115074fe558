-- The live members of the fleet hash; fields older than the TTL are removed on the way.
-- KEYS[1] the fleet hash. ARGV[1] TTL ms.
-- Returns { now, field1, value1, field2, value2, ... }; each value is "<seen ms> <json>".
local key = KEYS[1]
local ttl = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', key)
local out = { tostring(now) }
for i = 1, #all, 2 do
  local seen = tonumber(string.match(all[i + 1], '^(%d+) '))
  if seen == nil or now - seen > ttl then
    redis.call('HDEL', key, all[i])
  else
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out
