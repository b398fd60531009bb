--[[
  Creates a queue's settings or changes some of them, atomically.

  Input:
    KEYS[1] settings
    ARGV[1] maxActive or ""          ARGV[2] activeTtlSeconds or ""     ARGV[3] paused "1"/"0" or ""
    ARGV[4] default maxActive        ARGV[5] default activeTtlSeconds
  Output:
    { maxActive, activeTtlSeconds, paused (1/0), created (1/0) }
]]
local key = KEYS[1]
local created = 0
if redis.call('EXISTS', key) == 0 then
  redis.call('HSET', key, 'maxActive', ARGV[4], 'activeTtlSeconds', ARGV[5], 'paused', '0')
  created = 1
end
if ARGV[1] ~= '' then redis.call('HSET', key, 'maxActive', ARGV[1]) end
if ARGV[2] ~= '' then redis.call('HSET', key, 'activeTtlSeconds', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', key, 'paused', ARGV[3]) end
local s = redis.call('HMGET', key, 'maxActive', 'activeTtlSeconds', 'paused')
return { tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), created }
