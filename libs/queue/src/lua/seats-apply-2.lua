--[[
  Applies changes of a queue's seats-left figures that booking recorded, each at most once: an
  effect id already applied (remembered for a while) is skipped, so the request that recorded a
  change and the worker's outbox sweep may both apply it. Figures never set (the hash is missing:
  "unknown") are left alone; the next reconciliation sets them.

  Input:
    KEYS[1] seats (hash: left, held)   KEYS[2] applied effect ids (sorted set, scored by time ms)
    ARGV[1] how long applied ids are remembered (ms)
    ARGV[2..] triples: effect id, change of left, change of held
  Output:
    how many of the effects were applied now
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local applied = 0
for i = 2, #ARGV, 3 do
  if redis.call('ZADD', KEYS[2], 'NX', now, ARGV[i]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'left', ARGV[i + 1])
    redis.call('HINCRBY', KEYS[1], 'held', ARGV[i + 2])
    applied = applied + 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[1])))
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return applied
