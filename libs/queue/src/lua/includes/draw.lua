--[[
  The lobby and its draw (after includes/admission).

  Before `opensAt` joiners wait in the `lobby` zset, each as "<HMAC-SHA256(seed, userId)><userId>"
  with score 0: Redis orders equal scores by the member's bytes, so the lobby is always sorted by
  the HMAC (computed by the gateway, which reads the seed; Redis' Lua has no HMAC). At the opening
  (`ensureOpened`, O(1), run by the first script after `opensAt`) the arrival numbers right after
  the last one given so far are reserved for the lobby's fans, later joiners get numbers behind
  them, and the seed becomes public. `placeChunk` then moves the lobby into the line in bounded
  steps, in order, skipping fans no longer there; until it is done, admission stops at the last
  fan placed (`cursor`), so nobody who joined after the opening overtakes the lobby.

  Phases (draw.phase): lobby (seed secret) -> drawing (seed public, lobby being placed) -> open.
]]

local function startLobby(Q, seed, commitment)
  -- lobbyFrom: the first token number this lobby can hold (where snapshots read lobbyBits from).
  local lobbyFrom = tonumber(redis.call('GET', Q.seq) or '0') + 1
  redis.call('HSET', Q.draw, 'phase', 'lobby', 'seed', seed, 'commitment', commitment, 'lobbyFrom', lobbyFrom)
  redis.call('HDEL', Q.draw, 'base', 'cursor', 'end', 'openedAtMs', 'nextSeed', 'nextCommitment')
  redis.call('HSET', Q.stats, 'lobby', 0)
end

local function finishDrawing(Q, now)
  redis.call('HSET', Q.draw, 'phase', 'open')
  redis.call('HSET', Q.stats, 'lobby', 0)
  -- A new lobby asked for while this one was being placed starts now (if its opening is ahead).
  local following = redis.call('HMGET', Q.draw, 'nextSeed', 'nextCommitment')
  if following[1] then
    redis.call('HDEL', Q.draw, 'nextSeed', 'nextCommitment')
    local opensAt = num(redis.call('HGET', Q.settings, 'opensAtMs'))
    if opensAt and opensAt > now then startLobby(Q, following[1], following[2]) end
  end
end

-- Opens the lobby once its time has come: exactly once, whoever runs first. Returns 1 if it did.
local function ensureOpened(Q, now)
  if redis.call('HGET', Q.draw, 'phase') ~= 'lobby' then return 0 end
  local opensAt = num(redis.call('HGET', Q.settings, 'opensAtMs'))
  if opensAt and opensAt > now then return 0 end
  local base = tonumber(redis.call('GET', Q.seq) or '0')
  local waiting = num(redis.call('HGET', Q.stats, 'lobby')) or 0
  if waiting > 0 then redis.call('INCRBY', Q.seq, waiting) end
  redis.call('HSET', Q.draw, 'phase', 'drawing', 'base', base, 'cursor', base, 'end', base + waiting,
    'openedAtMs', now)
  redis.call('HINCRBY', Q.stats, 'openings', 1)
  if redis.call('ZCARD', Q.lobby) == 0 then finishDrawing(Q, now) end
  return 1
end

-- Places up to `limit` lobby entries into the line, in drawn order. Returns placed, remaining.
local function placeChunk(Q, now, limit)
  local draw = redis.call('HMGET', Q.draw, 'phase', 'cursor')
  if draw[1] ~= 'drawing' then return 0, 0 end
  local cursor = tonumber(draw[2])
  local members = redis.call('ZRANGE', Q.lobby, 0, limit - 1)
  local placed = 0
  local args = {}
  for i = 1, #members do
    local userId = string.sub(members[i], 33)
    local value = redis.call('HGET', Q.users, userId)
    -- Still live, and not already back in line by a join of their own after leaving the lobby.
    if value and not redis.call('ZSCORE', Q.waiting, userId) and not redis.call('ZSCORE', Q.active, userId) then
      cursor = cursor + 1
      placed = placed + 1
      args[#args + 1] = cursor
      args[#args + 1] = userId
      markInLobby(Q, tokenNumberOf(value), false)
      markInLine(Q, cursor, true)
      if #args >= 2 * SLICE then
        redis.call('ZADD', Q.waiting, unpack(args))
        args = {}
      end
    end
  end
  if #args > 0 then redis.call('ZADD', Q.waiting, unpack(args)) end
  for i = 1, #members, SLICE do
    redis.call('ZREM', Q.lobby, unpack(members, i, math.min(i + SLICE - 1, #members)))
  end
  redis.call('HSET', Q.draw, 'cursor', cursor)
  if placed > 0 then redis.call('HINCRBY', Q.stats, 'lobby', -placed) end
  local remaining = redis.call('ZCARD', Q.lobby)
  if remaining == 0 then finishDrawing(Q, now) end
  return placed, remaining
end
