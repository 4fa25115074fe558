-- Second half of a dead-lettering across slots (partitioned streams, whose dead-letter stream
-- lives in a slot of its own): once the dead letter is written, acknowledges and deletes the
-- entry, if this consumer still owns it.
-- KEYS[1]: stream. ARGV[1]: group, ARGV[2]: consumer, ARGV[3]: id.
-- Returns: 1 done, 0 no longer this consumer's (the caller removes the dead letter again).
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2]) == 0 then
  return 0
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
