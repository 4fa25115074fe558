-- Deletes a claim only if the caller still owns it (compare-and-delete).
-- KEYS[1]: claim key. ARGV[1]: owner token. Returns 1 deleted, 0 not the owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
