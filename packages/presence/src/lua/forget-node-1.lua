--[[
  Unregisters a reaped node, unless it heartbeat again meanwhile (then it is
  alive and must stay registered).

  KEYS[1] node registry ZSET     P:nodes
  ARGV[1] nodeId
  ARGV[2] TTL in ms

  Result: 1 when the node was removed, else 0
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(score) < now - tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
