--[[
  Stores a queue's settings (all of them, as PostgreSQL holds them: the durable copy), atomically.

  Input:
    KEYS[1] settings
    ARGV[1] maxActive   ARGV[2] activeTtlSeconds   ARGV[3] paused "1"/"0"
    ARGV[4] admitPerMinute or ""   ARGV[5] opensAt in epoch ms or ""   ARGV[6] abandonAfterSeconds
    ARGV[7] maxActivePerSeat or ""
  Output:
    1 when the queue was new to Redis, else 0
]]
local created = redis.call('EXISTS', KEYS[1]) == 0 and 1 or 0
redis.call('HSET', KEYS[1],
  'maxActive', ARGV[1], 'activeTtlSeconds', ARGV[2], 'paused', ARGV[3],
  'admitPerMinute', ARGV[4], 'opensAtMs', ARGV[5], 'abandonAfterSeconds', ARGV[6],
  'maxActivePerSeat', ARGV[7])
return created
