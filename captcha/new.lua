-- new.lua: counts one captcha against its client address's hourly quota and, within the
-- quota, stores the answer. Atomic, so concurrent requests can never exceed the quota.
--
-- KEYS[1]  the per-IP counter, img_ip_<address>
-- KEYS[2]  optional: the answer key img_<uuid>. Left out on Redis Cluster and Ring, where
--          the two keys may live on different nodes; the caller then SETs the answer itself.
-- ARGV[1]  the hourly limit, at least 1
-- ARGV[2]  the counter's window in milliseconds (3600000)
-- ARGV[3]  the answer, ASCII digits (only with KEYS[2])
-- ARGV[4]  the answer's TTL in milliseconds (only with KEYS[2])
--
-- Returns 0 if the captcha may be stored (and, with KEYS[2], was), otherwise the
-- milliseconds until the address's window ends, at least 1.
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  -- A new counter. (Also a counter left without expiry by someone else, which would
  -- otherwise lock the address out for good.)
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if count > tonumber(ARGV[1]) then
  return math.max(ttl, 1)
end
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
return 0
