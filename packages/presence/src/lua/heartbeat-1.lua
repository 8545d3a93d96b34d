--[[
  Records that a node is alive, stamped with the Redis server's clock so the
  nodes' own clocks never need to agree.

  KEYS[1] node registry ZSET     P:nodes
  ARGV[1] nodeId

  Result: 1 when the node was already registered, 0 when it was not (its
  first beat, or survivors reaped it while it was silent).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1 - added
