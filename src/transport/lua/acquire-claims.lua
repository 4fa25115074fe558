-- Takes each claim nobody holds: SET NX with the lease, for a batch of jobs in one round trip.
-- KEYS: claim keys. ARGV[1]: lease ms; ARGV[2..]: owner token of each key, in KEYS order.
-- Returns: one reply per key: 1 taken, else the token of the claim's holder (who may be earlier
--   in this batch), so the caller can tell which delivery holds it.
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[i + 1], 'NX', 'PX', ARGV[1]) then
    out[i] = 1
  else
    out[i] = redis.call('GET', key) or 0
  end
end
return out
