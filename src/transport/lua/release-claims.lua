-- Deletes each claim the caller still owns (compare-and-delete), for a batch in one round trip.
-- KEYS: claim keys. ARGV: owner token of each key, in KEYS order.
-- Returns: one integer per key, 1 deleted, 0 not the owner (expired or taken meanwhile).
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    out[i] = redis.call('DEL', key)
  else
    out[i] = 0
  end
end
return out
