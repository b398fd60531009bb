#!lua flags=no-writes
--[[
  `status` for many tokens of one queue at once (the event streams of one gateway). Read-only.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] draw
    KEYS[7] seats
    ARGV[2i-1] userId, ARGV[2i] tokenRef, for each token
  Output:
    { ...queueView (9 values), then per token: state, position, activeUntilMs, arrival number }
      state 0 not live, 1 waiting, 2 active, 3 lobby; arrival number 0 unless waiting
]]
--- @include "includes/admission"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], draw = KEYS[6],
  seats = KEYS[7],
}
local now = nowMs()
local draw = readDraw(Q)
local result = queueView(Q, now)
for i = 1, #ARGV, 2 do
  local where = { 0, 0, 0, 0 }
  if isToken(redis.call('HGET', Q.users, ARGV[i]), ARGV[i + 1]) then where = describe(Q, draw, ARGV[i], now) end
  for j = 1, 4 do result[#result + 1] = where[j] end
end
return result
