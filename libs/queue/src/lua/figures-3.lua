#!lua flags=no-writes
--[[
  A queue's public figures. Read-only; active counts only tokens whose time is not over.

  Input:
    KEYS[1] settings   KEYS[2] waiting   KEYS[3] active
  Output:
    -1 queue not configured, else { waiting, active, maxActive, paused (1/0) }
]]
--- @include "includes/admission"

local s = redis.call('HMGET', KEYS[1], 'maxActive', 'paused')
if s[1] == false then return -1 end -- ScriptFailure.QUEUE_NOT_FOUND
local active = redis.call('ZCOUNT', KEYS[3], '(' .. nowMs(), '+inf')
return { redis.call('ZCARD', KEYS[2]), active, tonumber(s[1]), tonumber(s[2]) }
