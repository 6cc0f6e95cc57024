-- Stores a new SMS code for one phone, atomically and only if the phone may be sent one.
-- All keys share the phone's hash tag (one cluster slot).
-- KEYS[1] flag       is_send_<phone>
-- KEYS[2] code       sms_<phone>
-- KEYS[3] tries      sms_<phone>:tries   (wrong verify attempts; a new code resets it)
-- KEYS[4] daily      sms_<phone>:daily   (sends in the current per-phone window)
-- ARGV[1] code, ARGV[2] code TTL ms, ARGV[3] send interval ms,
-- ARGV[4] per-phone limit (0 = off), ARGV[5] per-phone window ms
-- Returns {1, 0} when stored, {0, wait_ms} when the flag or the quota refuses.
local wait = redis.call('PTTL', KEYS[1])
if wait ~= -2 then
  if wait < 0 then wait = tonumber(ARGV[3]) end
  return {0, wait}
end
local limit = tonumber(ARGV[4])
if limit > 0 then
  local used = tonumber(redis.call('GET', KEYS[4]) or '0')
  if used >= limit then
    local ttl = redis.call('PTTL', KEYS[4])
    if ttl < 0 then ttl = tonumber(ARGV[5]) end
    return {0, ttl}
  end
  if redis.call('INCR', KEYS[4]) == 1 then
    redis.call('PEXPIRE', KEYS[4], ARGV[5])
  end
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
redis.call('DEL', KEYS[3])
return {1, 0}
