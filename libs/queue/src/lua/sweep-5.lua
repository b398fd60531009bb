--[[
  Housekeeping: forgets waiting tokens whose hard expiry (`exp`) has passed, so Redis memory does
  not grow with abandoned places. Arrival numbers are not times, so a list of marks
  "<ms>:<last arrival number>" (one a minute) tells which arrivals are older than the token TTL.

  Input:
    KEYS[1] waiting   KEYS[2] users   KEYS[3] stats   KEYS[4] seq   KEYS[5] marks
    ARGV[1] token TTL in ms           ARGV[2] most tokens to forget in one call
  Output:
    number of tokens forgotten
]]
--- @include "includes/admission"

local Q = { waiting = KEYS[1], users = KEYS[2], stats = KEYS[3] }
local seqKey, marksKey = KEYS[4], KEYS[5]
local now = nowMs()

local newest = redis.call('LINDEX', marksKey, 0)
if not newest or now - tonumber(string.match(newest, '^(%d+):')) >= 60000 then
  redis.call('LPUSH', marksKey, now .. ':' .. (redis.call('GET', seqKey) or '0'))
end

-- Every arrival up to a mark older than the TTL joined before that mark: its token is past `exp`.
local cutoff = tonumber(redis.call('HGET', Q.stats, 'sweepSeq') or '0')
while true do
  local oldest = redis.call('LINDEX', marksKey, -1)
  if not oldest then break end
  local ms, seq = string.match(oldest, '^(%d+):(%d+)')
  if now - tonumber(ms) < tonumber(ARGV[1]) then break end
  cutoff = math.max(cutoff, tonumber(seq))
  redis.call('RPOP', marksKey)
end
redis.call('HSET', Q.stats, 'sweepSeq', cutoff)

local stale = redis.call('ZRANGEBYSCORE', Q.waiting, '-inf', cutoff, 'LIMIT', 0, tonumber(ARGV[2]))
forgetUsers(Q, Q.waiting, stale)
return #stale
