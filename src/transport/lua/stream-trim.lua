-- Trims the stream without ever dropping an entry some group still needs: everything below the
-- lowest of each group's oldest pending id and last-delivered id has been read and acknowledged
-- by every group. Works on Redis 6.2+ (no KEEPREF/ACKED needed). A stream without groups is left
-- alone: its entries have not been read yet.
-- KEYS[1]: stream. ARGV[1]: trim only when the stream is longer than this.
-- Returns: entries removed.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('XLEN', KEYS[1]) <= tonumber(ARGV[1]) then return 0 end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end

local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local floor = nil
for _, g in ipairs(groups) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  local candidate = f['last-delivered-id']
  if tonumber(f['pending']) > 0 then
    local summary = redis.call('XPENDING', KEYS[1], f['name'])
    if summary[2] and less(summary[2], candidate) then candidate = summary[2] end
  end
  if floor == nil or less(candidate, floor) then floor = candidate end
end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', floor)
