--[[
  Reserves ARGV[1] consecutive seqs of one room, but only if the room's
  counter exists. A missing counter (new room, or Redis lost its data) must be
  seeded from the store by the caller first, otherwise seqs already stored
  would be handed out again.

  KEYS[1]  the room's seq counter (holds the last seq handed out)
  ARGV[1]  how many seqs to reserve (integer >= 1)

  Result:  the LAST reserved seq (integer), or nil when the counter is missing
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
return redis.call('INCRBY', KEYS[1], ARGV[1])
