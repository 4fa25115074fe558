-- Takes each claim nobody holds: SET NX with the lease, for a batch of jobs in one round trip.
-- KEYS: claim keys. ARGV[1]: lease ms; ARGV[2..]: owner token of each key, in KEYS order.
-- Returns: one integer per key, 1 taken, 0 held by someone else (or earlier in this batch).
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[i + 1], 'NX', 'PX', ARGV[1]) then
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
