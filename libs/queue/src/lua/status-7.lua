#!lua flags=no-writes
--[[
  Where a token stands, if it is still the user's live token. Read-only.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] draw
    KEYS[7] seats
    ARGV[1] userId     ARGV[2] tokenRef "<tokenId>:<iat>" in base 36
  Output:
    { 0 }                                                   not live (left, paid, expired, dropped, replaced)
    { state, position, activeUntilMs, arrival number in line (0 unless waiting), ...queueView }
                                                            state 1 waiting, 2 active, 3 lobby
]]
--- @include "includes/admission"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], draw = KEYS[6],
  seats = KEYS[7],
}
if not isToken(redis.call('HGET', Q.users, ARGV[1]), ARGV[2]) then return { 0 } end
local now = nowMs()
local where = describe(Q, readDraw(Q), ARGV[1], now)
if where[1] == 0 then return { 0 } end
for _, value in ipairs(queueView(Q, now)) do where[#where + 1] = value end
return where
