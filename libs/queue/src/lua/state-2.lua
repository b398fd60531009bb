#!lua flags=no-writes
--[[
  Whether a token is live, and whether it is active: what booking asks on every call (cheaper
  than a full status: no position, no queue view). Read-only.

  Input:
    KEYS[1] users  KEYS[2] active
    ARGV[1] userId     ARGV[2] tokenRef "<tokenId>:<iat>" in base 36
  Output:
    0 not live (left, paid, expired, dropped, replaced), 1 live and not active (waiting, lobby),
    2 active (its time not over)
]]
--- @include "includes/admission"

local Q = { users = KEYS[1], active = KEYS[2] }
if not isToken(redis.call('HGET', Q.users, ARGV[1]), ARGV[2]) then return 0 end
local activeUntil = redis.call('ZSCORE', Q.active, ARGV[1])
if not activeUntil then return 1 end
if tonumber(activeUntil) > nowMs() then return 2 end
return 0
