-- Stores a new SMS code and counts every quota, atomically, on a single Redis node: nothing
-- is written unless the flag is absent and every quota that is on has room.
-- (Cluster and Ring clients use store_code.lua and reserve.lua, one slot each.)
-- KEYS[1] flag   is_send_<phone>
-- KEYS[2] code   sms_<phone>
-- KEYS[3] tries  sms_<phone>:tries
-- KEYS[4] daily  sms_<phone>:daily
-- KEYS[5] ip     sms_ip:<ip>
-- KEYS[6] total  sms_total
-- ARGV[1] code, ARGV[2] code TTL ms, ARGV[3] send interval ms,
-- ARGV[4..9] limit and window ms for daily, ip, total (limit 0 = off)
-- Returns {1, 0} when stored, {0, wait_ms} when refused.
local wait = redis.call('PTTL', KEYS[1])
if wait == -1 then
  wait = tonumber(ARGV[3])
elseif wait < 0 then
  wait = 0
end
local counts = redis.call('MGET', KEYS[4], KEYS[5], KEYS[6])
for i = 4, 6 do
  local limit = tonumber(ARGV[2 * i - 4])
  if limit > 0 then
    local used = tonumber(counts[i - 3] or '0')
    if used >= limit then
      local ttl = redis.call('PTTL', KEYS[i])
      if ttl < 0 then ttl = tonumber(ARGV[2 * i - 3]) end
      if ttl > wait then wait = ttl end
    end
  end
end
if wait > 0 then
  return {0, wait}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
redis.call('DEL', KEYS[3])
for i = 4, 6 do
  if tonumber(ARGV[2 * i - 4]) > 0 then
    if redis.call('INCR', KEYS[i]) == 1 then
      redis.call('PEXPIRE', KEYS[i], ARGV[2 * i - 3])
    end
  end
end
return {1, 0}
