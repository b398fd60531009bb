--[[
  Puts a user in line (or in the lobby before the opening), or hands back the live token they
  already hold (one per user per queue). A newcomer is admitted at once when there is room and
  nobody is ahead.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] draw  KEYS[9] minute  KEYS[10] seats  KEYS[11] lineBits  KEYS[12] lobbyBits
    ARGV[1] userId
    ARGV[2] lobby entry "<HMAC-SHA256(seed, userId), 32 bytes><userId>", or "" when not known
    ARGV[3] the commitment of the seed ARGV[2] was computed with, or ""
    ARGV[4] events channel
  Output:
    -1  queue not configured
    -2  the user goes to the lobby, but ARGV[2] is missing or of another seed (nothing written)
    { state, tokenRef, position, activeUntilMs, isNew, lobbyPhase (1/0), ...queueView }
      state 1 waiting, 2 active, 3 lobby; tokenRef "<tokenId>:<iat>" in base 36
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], draw = KEYS[8], minute = KEYS[9], seats = KEYS[10], lineBits = KEYS[11], lobbyBits = KEYS[12],
}
local userId, entry, commitment, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if redis.call('EXISTS', Q.settings) == 0 then return -1 end -- ScriptFailure.QUEUE_NOT_FOUND
local now = nowMs()
local changed = ensureOpened(Q, now) + purgeExpired(Q, now, 100)

local isNew = 0
local value = redis.call('HGET', Q.users, userId)
local tokenRef = value and tokenRefOf(value)
local draw = readDraw(Q)
local where = value and describe(Q, draw, userId, now) or { 0, 0, 0 }

if where[1] == 0 then
  -- No live token (or one whose active time is over, not yet cleaned up): a new place.
  local toLobby = draw.phase == 'lobby' and isBeforeOpening(readSettings(Q), now)
  if toLobby and (string.sub(entry, 33) ~= userId or commitment ~= redis.call('HGET', Q.draw, 'commitment')) then
    return -2 -- ScriptFailure.DRAW_UNKNOWN
  end
  if value then
    forgetUsers(Q, Q.active, { userId })
    count(Q, 'expired', 1)
  end
  local seq = redis.call('INCR', Q.seq)
  tokenRef = base36(seq) .. ':' .. base36(math.floor(now / 1000))
  redis.call('HSET', Q.users, userId, tokenRef .. ':0') -- seen as it joins
  if toLobby then
    redis.call('ZADD', Q.lobby, 0, entry)
    redis.call('HINCRBY', Q.stats, 'lobby', 1)
    markInLobby(Q, seq, true)
  else
    redis.call('ZADD', Q.waiting, seq, userId)
    markInLine(Q, seq, true)
    changed = changed + admitWaiting(Q, now)
  end
  redis.call('HINCRBY', Q.stats, 'joined', 1)
  where = describe(Q, draw, userId, now)
  isNew = 1
elseif where[1] ~= 2 then
  markSeen(Q, userId, value, now) -- coming back counts as presence
end

if changed > 0 then redis.call('PUBLISH', channel, 'join') end
local result = { where[1], tokenRef, where[2], where[3], isNew, draw.phase == 'lobby' and 1 or 0 }
for _, value in ipairs(queueView(Q, now)) do result[#result + 1] = value end
return result
