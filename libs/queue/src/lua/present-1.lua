--[[
  Marks fans seen now (they polled, or have a stream open): all those one gateway instance saw in
  the last moment, in one call. Only live tokens are touched; the time is Redis', like every
  other time of the waiting room.

  Input:
    KEYS[1] users
    ARGV[1..n] user ids
  Output:
    how many of them hold a live token
]]
--- @include "includes/admission"

local Q = { users = KEYS[1] }
local now = nowMs()
local marked = 0
for i = 1, #ARGV do
  local value = redis.call('HGET', Q.users, ARGV[i])
  if value then
    markSeen(Q, ARGV[i], value, now)
    marked = marked + 1
  end
end
return marked
