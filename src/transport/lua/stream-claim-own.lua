-- Takes this consumer's own pending entries back for another run (a retry after its backoff, or
-- entries whose read reply was lost). XCLAIM bumps the delivery count. An entry that another
-- consumer has taken over in the meantime is left alone, so two subscribers never run it at once.
-- KEYS[1]: stream. ARGV[1]: group, ARGV[2]: consumer, ARGV[3..]: entry ids.
-- Returns: one {id, status, deliveries, fields} per id, status 'ok' | 'lost' (no longer ours) |
--   'deleted' (gone from the stream; acknowledged here); fields is the entry's flat field list.
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #p == 0 then
    out[#out + 1] = {id, 'lost', 0, {}}
  else
    local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id)
    local e = c[1]
    if not e or not e[2] then
      -- Redis 7 drops deleted entries from the PEL itself; 6.2 answers nil fields: ack them.
      redis.call('XACK', KEYS[1], ARGV[1], id)
      out[#out + 1] = {id, 'deleted', 0, {}}
    else
      local n = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
      out[#out + 1] = {id, 'ok', n[1][4], e[2]}
    end
  end
end
return out
