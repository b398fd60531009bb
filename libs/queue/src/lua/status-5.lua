#!lua flags=no-writes
--[[
  Where a token stands, if it is still the user's live token. Read-only.

  Input:
    KEYS[1] settings   KEYS[2] waiting   KEYS[3] active   KEYS[4] users   KEYS[5] stats
    ARGV[1] userId     ARGV[2] tokenRef "<tokenId>:<iat>" in base 36
  Output:
    { 0 }                                                      not live (left, paid, expired, replaced)
    { state, position, activeUntilMs, maxActive, activeTtlSeconds, rate, paused }   state 1 waiting, 2 active
]]
--- @include "includes/admission"

if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return { 0 } end
local where = describe(KEYS[2], KEYS[3], ARGV[1], nowMs())
if where[1] == 0 then return { 0 } end
local eta = etaInputs(KEYS[1], KEYS[5])
return { where[1], where[2], where[3], eta[1], eta[2], eta[3], eta[4] }
