--[[
  Shared by the scripts of one queue. Each script names the keys it was given in a table `Q`
  (Q.settings, Q.waiting, ...), and these helpers read and write through it.

  A queue's keys (all share the queue's hash tag, see keys.ts):
    settings  hash    maxActive, activeTtlSeconds, paused ("1"/"0"), admitPerMinute, opensAtMs,
                      abandonAfterSeconds, maxActivePerSeat ("" = not set); a copy of PostgreSQL's
    waiting   zset    userId scored by arrival number (per-queue counter, not the clock); the
                      lobby's fans get the numbers right after the last arrival before the opening,
                      in the drawn order
    lobby     zset    before the opening: members "<HMAC-SHA256(seed, userId), 32 raw bytes><userId>",
                      all scored 0, so Redis keeps them in the drawn order; entries of fans who left
                      are skipped when the lobby is placed (see includes/draw.lua)
    active    zset    userId scored by the epoch ms at which its active time ends
    users     hash    userId -> "<tokenId>:<iat>:<seen>", the one live token of that user (its
                      tokenRef, "<tokenId>:<iat>") and when it was last seen (polls, streams;
                      seconds after iat), all in base 36: presence costs a few bytes per fan
    stats     hash    totals: joined, admitted, expired, abandoned, revoked, left, paid, openings;
                      lobby (fans in the lobby, not yet placed), rate (admissions per second,
                      recent), soldOut (1/0, last seen by the tick), sweepSeq, walkScore and
                      walkEntry (how far the abandonment walk has come through waiting and lobby)
    minute    hash    ring of 61 one-second buckets: (second % 61) -> "<second>:<admitted>"
    draw      hash    phase (lobby | drawing | open), seed, commitment, base, cursor, end,
                      openedAtMs, nextSeed, nextCommitment
    seats     hash    left, held: kept by booking (missing = unknown: no seat cap)
    lineBits  string  bitmap by arrival number: for every number at or after the head of `waiting`,
                      its bit is 1 exactly when that number is in `waiting` (bits before the head are
                      stale: admission pops the head without clearing them). Lets each gateway
                      count positions from one snapshot instead of a ZRANK per poll.
    lobbyBits string  bitmap by token number (the tokenId, an arrival number): 1 while that token
                      is live in the lobby, not yet placed in line.
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

-- tonumber that also takes Redis' false (missing) and "" (not set) as nil.
local function num(value)
  if not value or value == '' then return nil end
  return tonumber(value)
end

-- Unpacking thousands of arguments at once overflows Lua's stack: go in slices.
local SLICE = 1000

local function count(Q, field, n)
  if n > 0 then redis.call('HINCRBY', Q.stats, field, n) end
end

-- The token number (arrival number at join) of a users value "<tokenId>:<iat>:<seen>" (base 36).
local function tokenNumberOf(value)
  return tonumber(string.match(value, '^(%w+):'), 36)
end

-- lineBits and lobbyBits (see the header): one bit per arrival number.
local function markInLine(Q, score, on)
  redis.call('SETBIT', Q.lineBits, score, on and 1 or 0)
end
local function markInLobby(Q, tokenNumber, on)
  redis.call('SETBIT', Q.lobbyBits, tokenNumber, on and 1 or 0)
end

-- Members out of `zsetKey` and their users' live tokens gone.
local function forgetUsers(Q, zsetKey, members)
  for i = 1, #members, SLICE do
    local slice = { unpack(members, i, math.min(i + SLICE - 1, #members)) }
    redis.call('ZREM', zsetKey, unpack(slice))
    redis.call('HDEL', Q.users, unpack(slice))
  end
end

-- A users value is "<tokenRef>:<seen>": the token it names, and when its holder was last seen.
local function tokenRefOf(value)
  return string.match(value, '^([^:]*:[^:]*)')
end

-- When (epoch seconds) the holder was last seen; stored as seconds after the token's `iat`, which
-- is shorter (a few bytes per fan add up over a million).
local function seenOf(value)
  local iat, since = string.match(value, '^[^:]*:([^:]*):(%w+)$')
  if not iat then return 0 end
  return tonumber(iat, 36) + tonumber(since, 36)
end

-- Whether a users value is the live token `ref`.
local function isToken(value, ref)
  return value ~= false and value ~= nil and tokenRefOf(value) == ref
end

-- "<tokenRef>:<seen>" for a token seen at `now` (seconds after its iat, in base 36).
local function seenValue(ref, now)
  local iat = tonumber(string.match(ref, ':(%w+)$'), 36)
  return ref .. ':' .. base36(math.max(math.floor(now / 1000) - iat, 0))
end

-- Marks a live user seen at `now` (a write only when the second changed).
local function markSeen(Q, userId, value, now)
  local updated = seenValue(tokenRefOf(value), now)
  if value ~= updated then redis.call('HSET', Q.users, userId, updated) end
end

-- Active tokens whose time is over stop being live: out of `active`, and their users' entries go.
local function purgeExpired(Q, now, limit)
  local expired = redis.call('ZRANGEBYSCORE', Q.active, '-inf', now, 'LIMIT', 0, limit)
  forgetUsers(Q, Q.active, expired)
  count(Q, 'expired', #expired)
  return #expired
end

local function readSettings(Q)
  local s = redis.call('HMGET', Q.settings, 'maxActive', 'activeTtlSeconds', 'paused', 'admitPerMinute',
    'opensAtMs', 'abandonAfterSeconds', 'maxActivePerSeat')
  if not s[1] then return nil end
  return {
    maxActive = tonumber(s[1]),
    activeTtlSeconds = tonumber(s[2]),
    paused = s[3] == '1',
    admitPerMinute = num(s[4]),
    opensAtMs = num(s[5]),
    abandonAfterSeconds = num(s[6]) or 300,
    maxActivePerSeat = num(s[7]),
  }
end

-- Booking's figures for the queue's concert, or nil while it has reported none.
local function readSeats(Q)
  local v = redis.call('HMGET', Q.seats, 'left', 'held')
  local left = num(v[1])
  if left == nil then return nil end
  return { left = left, held = num(v[2]) or 0 }
end

local function isSoldOut(seats)
  return seats ~= nil and seats.left <= 0 and seats.held <= 0
end

-- How many may be active at once: maxActive, and ceil(seats left x maxActivePerSeat) when set
-- (the epsilon keeps 30 x 0.1 at 3, not 4, despite binary floating point).
local function activeCap(settings, seats)
  local cap = settings.maxActive
  if settings.maxActivePerSeat and seats then
    cap = math.min(cap, math.ceil(math.max(seats.left, 0) * settings.maxActivePerSeat - 1e-9))
  end
  return cap
end

local function readDraw(Q)
  local d = redis.call('HMGET', Q.draw, 'phase', 'cursor', 'end')
  return { phase = d[1] or nil, cursor = num(d[2]), last = num(d[3]) }
end

local function isBeforeOpening(settings, now)
  return settings.opensAtMs ~= nil and settings.opensAtMs > now
end

local function queueStatus(settings, seats, now)
  if isBeforeOpening(settings, now) then return 'LOBBY' end
  if isSoldOut(seats) then return 'SOLD_OUT' end
  if settings.paused then return 'PAUSED' end
  return 'OPEN'
end

-- Admission buckets: admissions of the second `sec` are kept in field sec % RING.
local RING = 61

-- Admissions in the `seconds` whole seconds up to and including `nowSec`.
local function admittedWithin(Q, nowSec, seconds)
  local fields = {}
  for i = 0, RING - 1 do fields[#fields + 1] = i end
  local values = redis.call('HMGET', Q.minute, unpack(fields))
  local sum = 0
  for i = 1, #values do
    if values[i] then
      local sec, n = string.match(values[i], '^(%d+):(%d+)$')
      sec = tonumber(sec)
      if sec > nowSec - seconds and sec <= nowSec then sum = sum + tonumber(n) end
    end
  end
  return sum
end

-- Every admission, whoever makes it (join, leave, payment, tick, opening), is counted here.
local function recordAdmissions(Q, now, n)
  local sec = math.floor(now / 1000)
  local field = sec % RING
  local previous = redis.call('HGET', Q.minute, field)
  local total = n
  if previous then
    local s, c = string.match(previous, '^(%d+):(%d+)$')
    if tonumber(s) == sec then total = total + tonumber(c) end
  end
  redis.call('HSET', Q.minute, field, sec .. ':' .. total)
  redis.call('HINCRBY', Q.stats, 'admitted', n)
end

-- Admits from the head of the line, first come first served, while there is room: never above
-- maxActive or the seat cap, never above admitPerMinute in any rolling minute (61 whole seconds
-- are counted, so any 60 s window is covered), never before the opening, while paused or sold
-- out; while the lobby is being placed, only fans up to the last one placed. Returns how many.
local function admitWaiting(Q, now)
  local settings = readSettings(Q)
  if not settings or settings.paused or isBeforeOpening(settings, now) then return 0 end
  local draw = readDraw(Q)
  if draw.phase == 'lobby' then return 0 end
  local seats = readSeats(Q)
  if isSoldOut(seats) then return 0 end
  local room = activeCap(settings, seats) - redis.call('ZCARD', Q.active)
  if room <= 0 then return 0 end
  if settings.admitPerMinute then
    room = math.min(room, settings.admitPerMinute - admittedWithin(Q, math.floor(now / 1000), RING))
    if room <= 0 then return 0 end
  end
  local activeUntil = now + settings.activeTtlSeconds * 1000
  local admitted = 0
  while room > 0 do
    local users
    if draw.phase == 'drawing' then
      users = redis.call('ZRANGEBYSCORE', Q.waiting, '-inf', draw.cursor, 'LIMIT', 0, math.min(room, SLICE))
      if #users > 0 then redis.call('ZREM', Q.waiting, unpack(users)) end
    else
      local popped = redis.call('ZPOPMIN', Q.waiting, math.min(room, SLICE))
      users = {}
      for i = 1, #popped, 2 do users[#users + 1] = popped[i] end
    end
    if #users == 0 then break end
    local args = {}
    for i = 1, #users do
      args[#args + 1] = activeUntil
      args[#args + 1] = users[i]
    end
    redis.call('ZADD', Q.active, unpack(args))
    admitted = admitted + #users
    room = room - #users
  end
  if admitted > 0 then recordAdmissions(Q, now, admitted) end
  return admitted
end

-- Where a live user stands (the caller checked `users`): { 2, 0, activeUntilMs, 0 } active;
-- { 1, position, 0, arrival number } in line; { 3, 0, 0, 0 } in the lobby (or not placed yet);
-- { 0, 0, 0, 0 } active time over. While the lobby is being placed, those who joined after the
-- opening also have the lobby's fans not yet placed ahead of them.
local function describe(Q, draw, userId, now)
  local activeUntil = redis.call('ZSCORE', Q.active, userId)
  if activeUntil then
    if tonumber(activeUntil) > now then return { 2, 0, tonumber(activeUntil), 0 } end
    return { 0, 0, 0, 0 }
  end
  local rank = redis.call('ZRANK', Q.waiting, userId)
  if rank then
    local position = rank + 1
    local score = tonumber(redis.call('ZSCORE', Q.waiting, userId))
    if draw.phase == 'drawing' and score > draw.cursor then
      position = position + (num(redis.call('HGET', Q.stats, 'lobby')) or 0)
    end
    return { 1, position, 0, score }
  end
  return { 3, 0, 0, 0 }
end

-- A measured admission rate older than this (the ticks stopped) is not used for estimates.
local RATE_TTL_MS = 60000

-- What a placement needs besides the user's own state (see waiting-room.ts, QueueView):
-- { queueStatus, maxActive, active cap, activeTtlSeconds, rate, opensAtMs or -1,
--   abandonAfterSeconds, admitPerMinute or -1, lobby fans not yet placed }
local function queueView(Q, now)
  -- (A live token of a queue whose settings are gone cannot happen unless Redis lost keys one by one.)
  local settings = readSettings(Q) or { maxActive = 1, activeTtlSeconds = 600, abandonAfterSeconds = 300 }
  local seats = readSeats(Q)
  local stats = redis.call('HMGET', Q.stats, 'rate', 'rateAtMs', 'lobby')
  local rate = stats[1] or '0'
  if now - (num(stats[2]) or 0) > RATE_TTL_MS then rate = '0' end
  return {
    queueStatus(settings, seats, now), settings.maxActive, activeCap(settings, seats), settings.activeTtlSeconds,
    rate, settings.opensAtMs or -1, settings.abandonAfterSeconds, settings.admitPerMinute or -1,
    math.max(num(stats[3]) or 0, 0),
  }
end
