-- Renews the claims this holder still owns.
-- KEYS: claim keys. ARGV[1]: lease ms; ARGV[2..]: owner token of each key, in KEYS order.
-- Returns: one integer per key, 1 renewed, 0 lost (expired or taken by someone else).
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
