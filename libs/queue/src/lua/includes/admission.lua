--[[
  Shared by every script that changes who is active in one queue.

  A queue's keys (all share the queue's hash tag, see keys.ts):
    settings  hash    maxActive, activeTtlSeconds, paused ("1"/"0"), admitPerMinute, opensAtMs,
                      abandonAfterSeconds, maxActivePerSeat ("" = not set); a copy of PostgreSQL's
    waiting   zset    userId scored by arrival number (per-queue counter, not the clock)
    active    zset    userId scored by the epoch ms at which its active time ends
    users     hash    userId -> tokenRef, the one live token of that user: "<tokenId>:<iat>",
                      both in base 36 (shorter values keep a waiting user under 200 bytes)
    stats     hash    admitted (total), rate (admissions per second, recent), sweepSeq
]]

local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'

-- Non-negative integer in base 36 (what JavaScript's Number#toString(36) gives).
local function base36(n)
  if n == 0 then return '0' end
  local out = ''
  while n > 0 do
    local d = n % 36
    out = string.sub(DIGITS, d + 1, d + 1) .. out
    n = (n - d) / 36
  end
  return out
end

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Unpacking thousands of arguments at once overflows Lua's stack: go in slices.
local SLICE = 1000

local function forgetUsers(zsetKey, usersKey, members)
  for i = 1, #members, SLICE do
    local slice = { unpack(members, i, math.min(i + SLICE - 1, #members)) }
    redis.call('ZREM', zsetKey, unpack(slice))
    redis.call('HDEL', usersKey, unpack(slice))
  end
end

-- Active tokens whose time is over stop being live: out of `active`, and their users' entries go.
local function purgeExpired(activeKey, usersKey, now, limit)
  local expired = redis.call('ZRANGEBYSCORE', activeKey, '-inf', now, 'LIMIT', 0, limit)
  forgetUsers(activeKey, usersKey, expired)
  return #expired
end

-- Admits from the head of the line while there is room (never above maxActive, never while
-- paused), first come first served. Returns how many were admitted.
local function admitWaiting(settingsKey, waitingKey, activeKey, statsKey, now)
  local settings = redis.call('HMGET', settingsKey, 'maxActive', 'activeTtlSeconds', 'paused')
  if settings[1] == false or settings[3] == '1' then return 0 end
  local room = tonumber(settings[1]) - redis.call('ZCARD', activeKey)
  local activeUntil = now + tonumber(settings[2]) * 1000
  local admitted = 0
  while room > 0 do
    local popped = redis.call('ZPOPMIN', waitingKey, math.min(room, SLICE))
    local count = #popped / 2
    if count == 0 then break end
    local args = {}
    for i = 1, #popped, 2 do
      args[#args + 1] = activeUntil
      args[#args + 1] = popped[i]
    end
    redis.call('ZADD', activeKey, unpack(args))
    admitted = admitted + count
    room = room - count
  end
  if admitted > 0 then redis.call('HINCRBY', statsKey, 'admitted', admitted) end
  return admitted
end

-- Where a user stands: { 2, 0, activeUntilMs } active; { 1, position, 0 } waiting; { 0, 0, 0 } not live.
local function describe(waitingKey, activeKey, userId, now)
  local activeUntil = redis.call('ZSCORE', activeKey, userId)
  if activeUntil then
    if tonumber(activeUntil) > now then return { 2, 0, tonumber(activeUntil) } end
    return { 0, 0, 0 }
  end
  local rank = redis.call('ZRANK', waitingKey, userId)
  if rank then return { 1, rank + 1, 0 } end
  return { 0, 0, 0 }
end

-- What a client needs to compute an ETA and the queue's status: maxActive, activeTtlSeconds,
-- recent admission rate, paused (1/0).
local function etaInputs(settingsKey, statsKey)
  local settings = redis.call('HMGET', settingsKey, 'maxActive', 'activeTtlSeconds', 'paused')
  return {
    tonumber(settings[1]) or 0, tonumber(settings[2]) or 0, redis.call('HGET', statsKey, 'rate') or '0',
    tonumber(settings[3]) or 0,
  }
end
