--[[
  Puts the next `limit` fans of an opened lobby in line, in the drawn order, and admits whoever
  there is room for. Bounded work per call: a lobby of any size is placed by calling this until
  `remaining` is 0; any number of callers at once is safe (each call places the next entries).

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] draw  KEYS[9] minute  KEYS[10] seats  KEYS[11] lineBits  KEYS[12] lobbyBits
    ARGV[1] most lobby entries to place   ARGV[2] events channel
  Output:
    { placed, remaining lobby entries (0 once the lobby is placed), admitted, opened (1/0) }
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], draw = KEYS[8], minute = KEYS[9], seats = KEYS[10], lineBits = KEYS[11], lobbyBits = KEYS[12],
}
if redis.call('EXISTS', Q.settings) == 0 then return { 0, 0, 0, 0 } end
local now = nowMs()
local opened = ensureOpened(Q, now)
local placed, remaining = placeChunk(Q, now, tonumber(ARGV[1]))
local admitted = 0
if placed > 0 then admitted = admitWaiting(Q, now) end
if placed + opened > 0 then redis.call('PUBLISH', ARGV[2], 'placed') end
return { placed, remaining, admitted, opened }
