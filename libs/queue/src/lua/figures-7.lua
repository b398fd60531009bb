#!lua flags=no-writes
--[[
  A queue's figures (public ones and the operators' extras). Read-only; active counts only tokens
  whose time is not over.

  Input:
    KEYS[1] settings  KEYS[2] waiting  KEYS[3] active  KEYS[4] stats  KEYS[5] draw  KEYS[6] minute
    KEYS[7] seats
  Output:
    -1 queue not configured, else
    { queueStatus, waiting, lobby, active, maxActive, paused (1/0), admitPerMinute or -1,
      admittedLastMinute, opensAtMs or -1, commitment or "", seed once revealed or "",
      seatsLeft or -1, admittedTotal, abandonedTotal }
]]
--- @include "includes/admission"

local Q = {
  settings = KEYS[1], waiting = KEYS[2], active = KEYS[3], stats = KEYS[4], draw = KEYS[5], minute = KEYS[6],
  seats = KEYS[7],
}
local settings = readSettings(Q)
if not settings then return -1 end -- ScriptFailure.QUEUE_NOT_FOUND
local now = nowMs()
local seats = readSeats(Q)
local draw = redis.call('HMGET', Q.draw, 'phase', 'seed', 'commitment')
local stats = redis.call('HMGET', Q.stats, 'lobby', 'admitted', 'abandoned')
return {
  queueStatus(settings, seats, now),
  redis.call('ZCARD', Q.waiting),
  math.max(num(stats[1]) or 0, 0),
  redis.call('ZCOUNT', Q.active, '(' .. now, '+inf'),
  settings.maxActive,
  settings.paused and 1 or 0,
  settings.admitPerMinute or -1,
  admittedWithin(Q, math.floor(now / 1000), 60),
  settings.opensAtMs or -1,
  draw[3] or '',
  (draw[1] == 'drawing' or draw[1] == 'open') and draw[2] or '',
  seats and math.max(seats.left, 0) or -1,
  num(stats[2]) or 0,
  num(stats[3]) or 0,
}
