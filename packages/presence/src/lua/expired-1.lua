--[[
  Lists the nodes whose last heartbeat is older than a TTL, by the Redis
  server's clock.

  KEYS[1] node registry ZSET     P:nodes
  ARGV[1] TTL in ms

  Result: array of nodeIds
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1])))
