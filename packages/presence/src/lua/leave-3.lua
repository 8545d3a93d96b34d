--[[
  Removes one connection from a room and decides, atomically, whether it was
  the user's last one there. Of two callers racing to remove the same
  connection (a leave and a reaper, or two reapers) only one gets removed=1,
  so each departure is reported once.

  KEYS[1] room connections SET   P:room:{<roomId>}:conns
  KEYS[2] room users HASH        P:room:{<roomId>}:users
  KEYS[3] room join counter      P:room:{<roomId>}:seq
  ARGV[1] connection entry       JSON [nodeId, connId, userId]
  ARGV[2] userId

  Result: { removed (0|1), last (0|1), member record JSON or '' }
]]
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then
  return { 0, 0, '' }
end
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then
  -- Connection without a user record: cannot happen through join-3; treat as gone.
  return { 1, 1, '' }
end
local rec = cjson.decode(raw)
rec.conns = rec.conns - 1
if rec.conns > 0 then
  redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(rec))
  return { 1, 0, raw }
end
redis.call('HDEL', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 0 then
  -- Room empty: drop the counter too, so an idle room leaves no keys.
  redis.call('DEL', KEYS[3])
end
return { 1, 1, raw }
