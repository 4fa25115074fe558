-- Renews the leases of the entries this consumer is working on: XCLAIM … JUSTID to itself resets
-- their idle time (so XAUTOCLAIM elsewhere leaves them alone) without bumping the delivery count.
-- Only entries still owned by this consumer are touched: one taken over by another is not stolen back.
-- KEYS[1]: stream. ARGV[1]: group, ARGV[2]: consumer, ARGV[3..]: entry ids.
-- Returns: one integer per id, 1 renewed, 0 lost (taken over, acknowledged or deleted).
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local ok = 0
  if #redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2]) > 0 then
    if #redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID') > 0 then ok = 1 end
  end
  out[#out + 1] = ok
end
return out
