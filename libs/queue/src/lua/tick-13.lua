--[[
  One admission tick of one queue: open the lobby if its time has come, drop active tokens whose
  time is over, admit from the head of the line, and refresh the admission rate the ETA is
  computed from. Tells whether the lobby is still being placed (see place-10.lua).

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] users  KEYS[5] stats  KEYS[6] seq
    KEYS[7] lobby  KEYS[8] draw  KEYS[9] minute  KEYS[10] seats  KEYS[11] lineBits  KEYS[12] lobbyBits
    KEYS[13] samples (list of "<ms>:<admitted total>", newest first)
    ARGV[1] most expired tokens to drop in this tick
    ARGV[2] events channel
  Output:
    { admitted, expired, drawing (1/0), opened (1/0) }
]]
--- @include "includes/admission"
--- @include "includes/draw"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], users = KEYS[4], stats = KEYS[5], seq = KEYS[6],
  lobby = KEYS[7], draw = KEYS[8], minute = KEYS[9], seats = KEYS[10], lineBits = KEYS[11], lobbyBits = KEYS[12],
}
local samplesKey, channel = KEYS[13], ARGV[2]
if redis.call('EXISTS', Q.settings) == 0 then return { 0, 0, 0, 0 } end

local now = nowMs()
local opened = ensureOpened(Q, now)
local expired = purgeExpired(Q, now, tonumber(ARGV[1]))
local admitted = admitWaiting(Q, now)

-- Rate = admissions over the last ~60 samples (one per second at most, whoever ticks).
local total = tonumber(redis.call('HGET', Q.stats, 'admitted') or '0')
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
redis.call('HSET', Q.stats, 'rate', string.format('%.3f', rate), 'rateAtMs', now)

-- Booking changes the seats hash without telling anyone: streams learn of SOLD_OUT from here.
local soldOut = isSoldOut(readSeats(Q)) and '1' or '0'
local soldOutChanged = redis.call('HGET', Q.stats, 'soldOut') ~= soldOut
if soldOutChanged then redis.call('HSET', Q.stats, 'soldOut', soldOut) end

if opened + expired + admitted > 0 or soldOutChanged then redis.call('PUBLISH', channel, 'tick') end
return { admitted, expired, redis.call('HGET', Q.draw, 'phase') == 'drawing' and 1 or 0, opened }
