--[[
  Ends a live token (the user left, or paid): its place in line or its active slot is freed, and a
  freed active slot goes to the head of the line at once instead of waiting for the next tick.

  Input:
    KEYS[1] settings   KEYS[2] waiting   KEYS[3] active   KEYS[4] users   KEYS[5] stats
    KEYS[6] seq (unused; keeps the key list of every queue script alike)
    ARGV[1] userId     ARGV[2] tokenRef "<tokenId>:<iat>" in base 36
  Output:
    { removed (1 or 0 when the token was not live), admitted }
]]
--- @include "includes/admission"

local settingsKey, waitingKey, activeKey, usersKey, statsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if redis.call('HGET', usersKey, ARGV[1]) ~= ARGV[2] then return { 0, 0 } end

local wasActive = redis.call('ZREM', activeKey, ARGV[1])
redis.call('ZREM', waitingKey, ARGV[1])
redis.call('HDEL', usersKey, ARGV[1])

local admitted = 0
if wasActive == 1 then
  local now = nowMs()
  purgeExpired(activeKey, usersKey, now, 100)
  admitted = admitWaiting(settingsKey, waitingKey, activeKey, statsKey, now)
end
return { 1, admitted }
