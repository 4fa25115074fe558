-- Moves one entry to the dead-letter stream and acknowledges and deletes it, in one step, so an
-- entry is never both dead and pending, nor lost between the two. Only the entry's owner may.
-- KEYS[1]: stream, KEYS[2]: dead-letter stream. ARGV[1]: group, ARGV[2]: consumer, ARGV[3]: id,
--   ARGV[4]: data, ARGV[5]: last error, ARGV[6]: deliveries, ARGV[7]: failed_at (ISO time).
-- Returns: the dead-letter entry id, or false when the entry is no longer this consumer's.
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2]) == 0 then
  return false
end
local dead = redis.call('XADD', KEYS[2], '*', 'data', ARGV[4], 'error', ARGV[5],
  'deliveries', ARGV[6], 'original_id', ARGV[3], 'failed_at', ARGV[7])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return dead
