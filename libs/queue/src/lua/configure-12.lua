--[[
  Stores a queue's settings (all of them, as PostgreSQL holds them: the durable copy) and, when
  an opening lies ahead, the lobby draw's seed. Restoring settings never clobbers a draw: a lobby
  keeps its seed (its commitment is public), a draw already revealed stays revealed.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] draw  KEYS[9] minute  KEYS[10] seats  KEYS[11] lineBits  KEYS[12] lobbyBits
    ARGV[1] maxActive   ARGV[2] activeTtlSeconds   ARGV[3] paused "1"/"0"
    ARGV[4] admitPerMinute or ""   ARGV[5] opensAt in epoch ms or ""   ARGV[6] abandonAfterSeconds
    ARGV[7] maxActivePerSeat or ""
    ARGV[8] the draw's seed (64 hex) or ""   ARGV[9] its SHA-256 (64 hex) or ""
    ARGV[10] events channel
    ARGV[11] "1": a restore — store nothing if Redis has the queue by now (an operator's change
             made meanwhile must not be overwritten by the older settings the restore read)
  Output:
    1 when the queue was new to Redis, else 0
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], draw = KEYS[8], minute = KEYS[9], seats = KEYS[10], lineBits = KEYS[11], lobbyBits = KEYS[12],
}
local seed, commitment = ARGV[8], ARGV[9]
local now = nowMs()
local created = redis.call('EXISTS', Q.settings) == 0 and 1 or 0
if created == 0 and ARGV[11] == '1' then return 0 end
-- An opening that is due happens under the settings it was announced with, before they change.
if created == 0 then ensureOpened(Q, now) end

redis.call('HSET', Q.settings,
  'maxActive', ARGV[1], 'activeTtlSeconds', ARGV[2], 'paused', ARGV[3],
  'admitPerMinute', ARGV[4], 'opensAtMs', ARGV[5], 'abandonAfterSeconds', ARGV[6],
  'maxActivePerSeat', ARGV[7])

local opensAt = num(ARGV[5])
local draw = redis.call('HMGET', Q.draw, 'phase', 'seed')
local phase, current = draw[1] or nil, draw[2] or nil
if seed ~= '' and opensAt and opensAt > now then
  if phase == 'lobby' then
    -- The opening moved: same draw. Another seed only while nobody has joined under this one.
    if current ~= seed and (num(redis.call('HGET', Q.stats, 'lobby')) or 0) == 0 and redis.call('ZCARD', Q.lobby) == 0 then
      startLobby(Q, seed, commitment)
    end
  elseif phase == 'drawing' then
    if current ~= seed then redis.call('HSET', Q.draw, 'nextSeed', seed, 'nextCommitment', commitment) end
  elseif current ~= seed then
    startLobby(Q, seed, commitment)
  end
elseif seed ~= '' and not phase then
  -- Redis lost the draw after the opening (or it never had one): the seed is public by now.
  redis.call('HSET', Q.draw, 'phase', 'open', 'seed', seed, 'commitment', commitment)
end

-- opensAt cleared or moved into the past while in the lobby: the lobby opens now.
ensureOpened(Q, now)
redis.call('PUBLISH', ARGV[10], 'settings')
return created
