-- Removes consumers of the group that hold nothing and have not read for a long time (their
-- process is gone). Checked and deleted in one step: XGROUP DELCONSUMER would drop the pending
-- entries of a consumer that read something in between.
-- KEYS[1]: stream. ARGV[1]: group, ARGV[2]: min idle ms, ARGV[3]: consumer to keep (the caller).
-- Returns: the names removed.
local removed = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] ~= ARGV[3] and tonumber(f['pending']) == 0 and tonumber(f['idle']) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    removed[#removed + 1] = f['name']
  end
end
return removed
