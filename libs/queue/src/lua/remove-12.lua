--[[
  Ends a live token (the user left or paid, or an operator revoked it): its place in line, in the
  lobby or its active slot is freed, and a freed active slot goes to the head of the line at once
  instead of waiting for the next tick. A token whose active time is over is not live.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] draw  KEYS[9] minute  KEYS[10] seats  KEYS[11] lineBits  KEYS[12] lobbyBits
    ARGV[1] userId
    ARGV[2] tokenRef "<tokenId>:<iat>" in base 36, or "" for whichever token the user holds (revoke)
    ARGV[3] the total it counts in: left | paid | revoked
    ARGV[4] events channel
  Output:
    { removed (1, or 0 when the token was not live), admitted, the token number removed (or 0) }
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], draw = KEYS[8], minute = KEYS[9], seats = KEYS[10], lineBits = KEYS[11], lobbyBits = KEYS[12],
}
local userId, wanted, reason, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local value = redis.call('HGET', Q.users, userId)
if not value or (wanted ~= '' and not isToken(value, wanted)) then return { 0, 0 } end

local now = nowMs()
ensureOpened(Q, now)
local where = describe(Q, readDraw(Q), userId, now)
if where[1] == 0 then
  -- Its active time is over: not live, whatever the clean-up has not done yet.
  forgetUsers(Q, Q.active, { userId })
  count(Q, 'expired', 1)
  redis.call('PUBLISH', channel, 'expired')
  return { 0, 0 }
end

if where[1] == 2 then
  redis.call('ZREM', Q.active, userId)
elseif where[1] == 1 then
  redis.call('ZREM', Q.waiting, userId)
  markInLine(Q, where[4], false)
else
  -- The lobby entry stays until the draw places the lobby, which skips fans no longer live.
  redis.call('HINCRBY', Q.stats, 'lobby', -1)
  markInLobby(Q, tokenNumberOf(value), false)
end
redis.call('HDEL', Q.users, userId)
count(Q, reason, 1)

local admitted = 0
if where[1] == 2 then
  purgeExpired(Q, now, 100)
  admitted = admitWaiting(Q, now)
end
redis.call('PUBLISH', channel, reason)
return { 1, admitted, tokenNumberOf(value) }
