-- Stores a new SMS code for one phone, atomically and only if the phone may be sent one
-- now: its flag is absent and its daily quota has room. Every key shares the phone's
-- slot (sms.key and sms.flag_key must hash alike on a Cluster). The flag is taken first
-- with SET NX, which also tells whether it was there, and given back in this same script
-- if the daily quota refuses: nobody sees it meanwhile. On the way of a successful send
-- this is three calls (four with the destination guard), the fewest that store the code.
-- KEYS[1] flag   is_send_<phone>
-- KEYS[2] code   sms_<phone>
-- KEYS[3] tries  sms_<phone>:tries   (wrong verify attempts; a new code resets it)
-- KEYS[4] daily  sms_<phone>:daily   (sends in the per-phone window)
-- KEYS[5] known  sms_<phone>:known   (the phone verified a code: it passes the
--                                     destination guard's counters)
-- ARGV[1] code, ARGV[2] code TTL ms, ARGV[3] send interval ms,
-- ARGV[4] per-phone limit (0 = off), ARGV[5] per-phone window ms,
-- ARGV[6] "1" when the destination guard is on (it reads known), else "0"
-- Returns {1, 0, known} when stored (known 1 or 0; 0 with the guard off), {0, wait_ms, 1}
-- when the flag refuses, {0, wait_ms, 2} when the daily quota does.
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[3], 'NX') then
  local wait = redis.call('PTTL', KEYS[1])
  if wait < 0 then wait = tonumber(ARGV[3]) end -- a flag without TTL, by another program
  return {0, wait, 1}
end
local limit = tonumber(ARGV[4])
if limit > 0 then
  local used = redis.call('INCR', KEYS[4])
  local ttl = redis.call('PTTL', KEYS[4])
  if ttl < 0 then -- a new window, or a counter that lost its TTL: arm it
    ttl = tonumber(ARGV[5])
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
  if used > limit then
    redis.call('DECR', KEYS[4])
    redis.call('DEL', KEYS[1])
    return {0, ttl, 2}
  end
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[3])
if ARGV[6] == '1' then
  return {1, 0, redis.call('EXISTS', KEYS[5])}
end
return {1, 0, 0}
