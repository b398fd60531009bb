--[[
  One admission tick of one queue: drop active tokens whose time is over, admit from the head of
  the line up to maxActive, and refresh the admission rate the ETA is computed from.

  Input:
    KEYS[1] settings   KEYS[2] waiting   KEYS[3] active   KEYS[4] users   KEYS[5] stats
    KEYS[6] seq (unused)   KEYS[7] samples (list of "<ms>:<admitted total>", newest first)
    ARGV[1] most expired tokens to drop in this tick
  Output:
    { admitted, expired }
]]
--- @include "includes/admission"

local settingsKey, waitingKey, activeKey, usersKey, statsKey, samplesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7]
if redis.call('EXISTS', settingsKey) == 0 then return { 0, 0 } end

local now = nowMs()
local expired = purgeExpired(activeKey, usersKey, now, tonumber(ARGV[1]))
local admitted = admitWaiting(settingsKey, waitingKey, activeKey, statsKey, now)

-- Rate = admissions over the last ~60 samples (one per second at most, whoever ticks).
local total = tonumber(redis.call('HGET', statsKey, 'admitted') or '0')
local newest = redis.call('LINDEX', samplesKey, 0)
if not newest or now - tonumber(string.match(newest, '^(%d+):')) >= 1000 then
  redis.call('LPUSH', samplesKey, now .. ':' .. total)
  redis.call('LTRIM', samplesKey, 0, 59)
end
local oldest = redis.call('LINDEX', samplesKey, -1)
local oldMs, oldTotal = string.match(oldest, '^(%d+):(%d+)')
oldMs, oldTotal = tonumber(oldMs), tonumber(oldTotal)
local rate = 0
if now > oldMs then rate = (total - oldTotal) * 1000 / (now - oldMs) end
redis.call('HSET', statsKey, 'rate', string.format('%.3f', rate))

return { admitted, expired }
