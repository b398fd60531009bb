#!lua flags=no-writes
--[[
  A snapshot of one queue's line for the gateways: everything a waiting fan's placement needs
  besides the fan's own token, so that an instance answers most polls without a Redis call (see
  line-snapshot.ts). Read-only; its cost grows with the length of the line (one bit per arrival),
  not with the number of fans polling.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] stats  KEYS[5] draw  KEYS[6] seats
    KEYS[7] seq  KEYS[8] lineBits  KEYS[9] lobbyBits
  Output:
    -1 queue not configured, else
    { nowMs, ...queueView (9 values), fans in line, departures so far (admitted + left + revoked +
      abandoned: what moves the line, and a little more), head arrival number or -1, tail arrival number or -1,
      draw phase or "", draw cursor or -1, lobbyFrom or -1, last token number given,
      lineBits bytes from byte floor(head / 8) to floor(tail / 8) (or ""),
      lobbyBits bytes from byte floor(lobbyFrom / 8) to floor(last token / 8) (or "") }
]]
--- @include "includes/admission"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], stats = KEYS[4], draw = KEYS[5], seats = KEYS[6],
}
local seqKey, lineBits, lobbyBits = KEYS[7], KEYS[8], KEYS[9]
if redis.call('EXISTS', Q.settings) == 0 then return -1 end
local now = nowMs()
local result = { now }
for _, value in ipairs(queueView(Q, now)) do result[#result + 1] = value end

local head = redis.call('ZRANGE', Q.waiting, 0, 0, 'WITHSCORES')
local tail = redis.call('ZRANGE', Q.waiting, -1, -1, 'WITHSCORES')
local headScore = head[2] and tonumber(head[2]) or -1
local tailScore = tail[2] and tonumber(tail[2]) or -1
local draw = redis.call('HMGET', Q.draw, 'phase', 'cursor', 'lobbyFrom')
local phase = draw[1] or ''
local lobbyFrom = num(draw[3]) or -1
local last = tonumber(redis.call('GET', seqKey) or '0')

local line = ''
if headScore >= 0 then line = redis.call('GETRANGE', lineBits, math.floor(headScore / 8), math.floor(tailScore / 8)) end
local lobby = ''
if (phase == 'lobby' or phase == 'drawing') and lobbyFrom >= 0 and last >= lobbyFrom then
  lobby = redis.call('GETRANGE', lobbyBits, math.floor(lobbyFrom / 8), math.floor(last / 8))
end

local departures = 0
for _, n in ipairs(redis.call('HMGET', Q.stats, 'admitted', 'left', 'revoked', 'abandoned')) do
  departures = departures + (num(n) or 0)
end

for _, value in ipairs({ redis.call('ZCARD', Q.waiting), departures, headScore, tailScore, phase, num(draw[2]) or -1, lobbyFrom, last, line, lobby }) do
  result[#result + 1] = value
end
return result
