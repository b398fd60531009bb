--[[
  Drops waiting and lobby fans not seen (no poll, no open stream) for abandonAfterSeconds: out of
  the line, the counts and the ETA. A walk through the line, then the lobby, looking at ARGV[1]
  fans at most per call and resuming where the last call stopped (stats walkScore, walkEntry);
  when it reaches the end, the next call starts the next walk. Lobby entries of fans no longer
  there are removed on the way.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] draw  KEYS[9] minute  KEYS[10] seats  KEYS[11] lineBits  KEYS[12] lobbyBits
    ARGV[1] most fans to look at   ARGV[2] events channel
  Output:
    { dropped, looked at, opened the lobby (1/0), walk complete (1/0) }
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], draw = KEYS[8], minute = KEYS[9], seats = KEYS[10], lineBits = KEYS[11], lobbyBits = KEYS[12],
}
local settings = readSettings(Q)
if not settings then return { 0, 0, 0, 1 } end
local now = nowMs()
local opened = ensureOpened(Q, now)
local limit = tonumber(ARGV[1])
local cutoff = now - settings.abandonAfterSeconds * 1000
-- Seen in second s means seen at s.999 at the latest: absent only if even that is before the cutoff.
local function absent(value)
  return (seenOf(value) + 1) * 1000 <= cutoff
end

local looked, dropped, fromLobby, complete = 0, 0, 0, 0
local part = redis.call('HGET', Q.stats, 'walkPart') or 'waiting'

if part == 'waiting' then
  local from = redis.call('HGET', Q.stats, 'walkScore')
  local batch = redis.call('ZRANGEBYSCORE', Q.waiting, from and ('(' .. from) or '-inf', '+inf', 'WITHSCORES',
    'LIMIT', 0, limit)
  for i = 1, #batch, 2 do
    local userId = batch[i]
    local value = redis.call('HGET', Q.users, userId)
    if value and absent(value) then
      redis.call('ZREM', Q.waiting, userId)
      redis.call('HDEL', Q.users, userId)
      markInLine(Q, tonumber(batch[i + 1]), false)
      dropped = dropped + 1
    end
  end
  looked = #batch / 2
  if looked < limit then
    redis.call('HDEL', Q.stats, 'walkScore')
    part = 'lobby'
    redis.call('HSET', Q.stats, 'walkPart', part)
  else
    redis.call('HSET', Q.stats, 'walkScore', batch[#batch])
  end
end

if part == 'lobby' and looked < limit then
  local budget = limit - looked
  local from = redis.call('HGET', Q.stats, 'walkEntry')
  local batch = redis.call('ZRANGEBYLEX', Q.lobby, from and ('(' .. from) or '-', '+', 'LIMIT', 0, budget)
  local gone = {}
  for i = 1, #batch do
    local userId = string.sub(batch[i], 33)
    local value = redis.call('HGET', Q.users, userId)
    if not value then
      gone[#gone + 1] = batch[i] -- its fan left the lobby (coming back adds the same entry again)
    elseif not redis.call('ZSCORE', Q.waiting, userId) and not redis.call('ZSCORE', Q.active, userId)
      and absent(value) then
      gone[#gone + 1] = batch[i]
      redis.call('HDEL', Q.users, userId)
      markInLobby(Q, tokenNumberOf(value), false)
      fromLobby = fromLobby + 1
    end
  end
  for i = 1, #gone, SLICE do
    redis.call('ZREM', Q.lobby, unpack(gone, i, math.min(i + SLICE - 1, #gone)))
  end
  looked = looked + #batch
  if #batch < budget then
    redis.call('HDEL', Q.stats, 'walkEntry')
    redis.call('HSET', Q.stats, 'walkPart', 'waiting')
    complete = 1
  else
    redis.call('HSET', Q.stats, 'walkEntry', batch[#batch])
  end
end

if fromLobby > 0 then redis.call('HINCRBY', Q.stats, 'lobby', -fromLobby) end
dropped = dropped + fromLobby
count(Q, 'abandoned', dropped)
if dropped + opened > 0 then redis.call('PUBLISH', ARGV[2], 'abandoned') end
return { dropped, looked, opened, complete }
