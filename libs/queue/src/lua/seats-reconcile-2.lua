--[[
  Sets a queue's seats-left figures to what PostgreSQL counted, and remembers as applied the
  effects that count already includes (still in booking's outbox), so they are never added on top.
  Booking calls it while no change of the queue's seats can commit (see reconcileSeatsLeft).

  Input:
    KEYS[1] seats (hash: left, held)   KEYS[2] applied effect ids (sorted set, scored by time ms)
    ARGV[1] left   ARGV[2] held   ARGV[3] how long applied ids are remembered (ms)
    ARGV[4..] ids of effects the figures include
  Output:
    { left, held } as they were before (-1, -1 when they were unknown)
]]
local before = redis.call('HMGET', KEYS[1], 'left', 'held')
redis.call('HSET', KEYS[1], 'left', ARGV[1], 'held', ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 4, #ARGV do
  redis.call('ZADD', KEYS[2], now, ARGV[i])
end
if #ARGV >= 4 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return { tonumber(before[1] or -1), tonumber(before[2] or -1) }
