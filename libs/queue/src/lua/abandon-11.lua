--[[
  Drops waiting and lobby fans not seen (no poll, no open stream) for abandonAfterSeconds: out of
  the line, the counts and the ETA. Bounded: at most ARGV[1] per call.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] presence  KEYS[9] draw  KEYS[10] minute  KEYS[11] seats
    ARGV[1] most fans to look at   ARGV[2] events channel
  Output:
    { dropped, looked at, opened the lobby (1/0) }
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], presence = KEYS[8], draw = KEYS[9], minute = KEYS[10], seats = KEYS[11],
}
local settings = readSettings(Q)
if not settings then return { 0, 0, 0 } end
local now = nowMs()
local opened = ensureOpened(Q, now)

local absent = redis.call('ZRANGEBYSCORE', Q.presence, '-inf', now - settings.abandonAfterSeconds * 1000,
  'LIMIT', 0, tonumber(ARGV[1]))
local dropped, fromLobby = {}, 0
for i = 1, #absent do
  local userId = absent[i]
  if redis.call('ZSCORE', Q.active, userId) then
    -- admitted meanwhile: presence no longer matters (admission removes it; nothing to drop)
  elseif redis.call('ZREM', Q.waiting, userId) == 1 then
    dropped[#dropped + 1] = userId
  elseif redis.call('HEXISTS', Q.users, userId) == 1 then
    dropped[#dropped + 1] = userId -- in the lobby: its entry is skipped when the lobby is placed
    fromLobby = fromLobby + 1
  end
end
for i = 1, #absent, SLICE do
  redis.call('ZREM', Q.presence, unpack(absent, i, math.min(i + SLICE - 1, #absent)))
end
for i = 1, #dropped, SLICE do
  redis.call('HDEL', Q.users, unpack(dropped, i, math.min(i + SLICE - 1, #dropped)))
end
if fromLobby > 0 then redis.call('HINCRBY', Q.stats, 'lobby', -fromLobby) end
count(Q, 'abandoned', #dropped)
if #dropped + opened > 0 then redis.call('PUBLISH', ARGV[2], 'abandoned') end
return { #dropped, #absent, opened }
