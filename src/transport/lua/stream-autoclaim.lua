-- Takes over entries idle longer than the lease (their subscriber died) and reports each one's
-- delivery count, which XAUTOCLAIM itself does not return. Deleted entries are acknowledged.
-- KEYS[1]: stream. ARGV[1]: group, ARGV[2]: consumer, ARGV[3]: min idle ms, ARGV[4]: cursor,
--   ARGV[5]: count.
-- Returns: {next cursor, {{id, deliveries, fields}…}, {deleted id…}}.
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local claimed = {}
local deleted = {}
if r[3] then
  for _, id in ipairs(r[3]) do deleted[#deleted + 1] = id end
end
for _, e in ipairs(r[2]) do
  if e and e[2] then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    claimed[#claimed + 1] = {e[1], p[1][4], e[2]}
  elseif e then
    -- Redis 6.2 answers a deleted entry with nil fields and keeps it pending.
    deleted[#deleted + 1] = e[1]
  end
end
for _, id in ipairs(deleted) do redis.call('XACK', KEYS[1], ARGV[1], id) end
return {r[1], claimed, deleted}
