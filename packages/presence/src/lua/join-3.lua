--[[
  Adds one connection to a room and decides, atomically, whether it is the
  user's first connection there (concurrent tabs on other nodes included).

  KEYS[1] room connections SET   P:room:{<roomId>}:conns
  KEYS[2] room users HASH        P:room:{<roomId>}:users
  KEYS[3] room join counter      P:room:{<roomId>}:seq
  ARGV[1] connection entry       JSON [nodeId, connId, userId]
  ARGV[2] userId
  ARGV[3] nickName
  ARGV[4] headNum

  Result: 1 when this is the user's first connection in the room, else 0
  (also 0 when the same connection joins again: joins are idempotent).
]]
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
local raw = redis.call('HGET', KEYS[2], ARGV[2])
local rec
local first = 0
if raw then
  rec = cjson.decode(raw)
  rec.conns = rec.conns + 1
else
  rec = { conns = 1, seq = redis.call('INCR', KEYS[3]) }
  first = 1
end
-- The latest join's display info wins.
rec.nickName = ARGV[3]
rec.headNum = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(rec))
return first
