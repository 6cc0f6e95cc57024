-- Reads whether a phone may be sent an SMS now, on a single Redis node (all keys on one
-- server; Cluster and Ring clients read the same keys with one pipeline instead).
-- KEYS[1] flag   is_send_<phone>
-- KEYS[2] daily  sms_<phone>:daily
-- KEYS[3] ip     sms_ip:<ip>
-- KEYS[4] total  sms_total
-- ARGV[1] send interval ms; then limit and window ms for daily, ip, total (limit 0 = off)
-- Returns the longest wait in ms among the flag and the quotas used up; 0 = may send.
local wait = redis.call('PTTL', KEYS[1])
if wait == -1 then
  wait = tonumber(ARGV[1])
elseif wait < 0 then
  wait = 0
end
local counts = redis.call('MGET', KEYS[2], KEYS[3], KEYS[4])
for i = 2, 4 do
  local limit = tonumber(ARGV[2 * i - 2])
  if limit > 0 then
    local used = tonumber(counts[i - 1] or '0')
    if used >= limit then
      local ttl = redis.call('PTTL', KEYS[i])
      if ttl == -1 then ttl = tonumber(ARGV[2 * i - 1]) end
      if ttl > wait then wait = ttl end
    end
  end
end
return wait
