-- The scheduler's read of the Pub/Sub fleet's capacity (issue 21; see capacity-report.lua).
-- KEYS[1] the capacity hash. Drops reports past their expiry.
-- Returns { server time ms, last loss ms or -1, payload, payload, ... } (live reports only).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = { now, -1 }
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  if field == '!lost' then
    out[2] = tonumber(value)
  else
    local comma = string.find(value, ',', 1, true)
    local expires = comma and tonumber(string.sub(value, 1, comma - 1)) or 0
    if expires < now then
      redis.call('HDEL', KEYS[1], field)
    else
      out[#out + 1] = string.sub(value, comma + 1)
    end
  end
end
return out
