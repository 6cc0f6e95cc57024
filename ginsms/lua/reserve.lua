-- Reserves one unit of a counter quota (per IP, or the global daily total).
-- KEYS[1] counter
-- ARGV[1] limit, ARGV[2] window ms (the counter expires with its window)
-- Returns {1, 0} when reserved, {0, wait_ms} when the quota is used up (nothing counted).
local used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if used > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = tonumber(ARGV[2]) end
  return {0, ttl}
end
return {1, 0}
