-- Counts one use of a quota, within its limit; atomic, so concurrent requests never
-- exceed it. The window starts with the first use and the counter expires with it; a
-- counter found without a TTL (a lost PEXPIRE, or a key written by another program) gets
-- one again, so no counter can lock a client out for good.
-- KEYS[1] the counter
-- ARGV[1] the limit (at least 1), ARGV[2] the window in ms
-- Returns {1, 0} when counted, {0, wait_ms} when the quota is used up (nothing counted).
local used = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if used > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {0, ttl}
end
return {1, 0}
