--[[
  Puts a user in line, or hands back the live token they already hold (one per user per queue).
  A newcomer is admitted at once when there is room and nobody is ahead.

  Input:
    KEYS[1] settings   KEYS[2] waiting   KEYS[3] active   KEYS[4] users   KEYS[5] stats
    KEYS[6] seq (arrival counter)
    ARGV[1] userId
  Output:
    -1                                   queue not configured
    { state, tokenRef, position, activeUntilMs, isNew, maxActive, activeTtlSeconds, rate, paused }
      state 1 waiting, 2 active; tokenRef "<tokenId>:<iat>" in base 36
]]
--- @include "includes/admission"

local settingsKey, waitingKey, activeKey, usersKey, statsKey, seqKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local userId = ARGV[1]

if redis.call('EXISTS', settingsKey) == 0 then return -1 end -- ScriptFailure.QUEUE_NOT_FOUND
local now = nowMs()
purgeExpired(activeKey, usersKey, now, 100)

local isNew = 0
local tokenRef = redis.call('HGET', usersKey, userId)
local where = tokenRef and describe(waitingKey, activeKey, userId, now) or { 0, 0, 0 }

if where[1] == 0 then
  -- No live token (or a dead one not yet cleaned up): a new place at the back of the line.
  if tokenRef then forgetUsers(activeKey, usersKey, { userId }) end
  local seq = redis.call('INCR', seqKey)
  tokenRef = base36(seq) .. ':' .. base36(math.floor(now / 1000))
  redis.call('HSET', usersKey, userId, tokenRef)
  redis.call('ZADD', waitingKey, seq, userId)
  admitWaiting(settingsKey, waitingKey, activeKey, statsKey, now)
  where = describe(waitingKey, activeKey, userId, now)
  isNew = 1
end

local eta = etaInputs(settingsKey, statsKey)
return { where[1], tokenRef, where[2], where[3], isNew, eta[1], eta[2], eta[3], eta[4] }
