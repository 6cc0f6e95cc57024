-- Checks an SMS code: a right code is consumed, a wrong one counts a try, and the code is
-- deleted with its counter once max tries are reached. Comparison does the same work
-- whatever the position of the first differing digit.
-- KEYS[1] code   sms_<phone>
-- KEYS[2] tries  sms_<phone>:tries   (same slot)
-- KEYS[3] known  sms_<phone>:known   (same slot; the phone verified a code)
-- ARGV[1] submitted code, ARGV[2] max wrong tries, ARGV[3] how long a verified phone
-- stays known in ms (0 = not kept)
-- Returns 1 right, 0 wrong, 2 wrong and the last try (the code is gone), -1 no live code.
local stored = redis.call('GET', KEYS[1])
if not stored then
  return -1
end
local given = ARGV[1]
local diff = math.abs(#stored - #given)
for i = 1, #stored do
  local d = string.byte(stored, i) - (string.byte(given, i) or 0)
  diff = diff + d * d
end
if diff == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  if tonumber(ARGV[3]) > 0 then
    redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
  end
  return 1
end
local tries = redis.call('INCR', KEYS[2])
if tries >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 2
end
if redis.call('PTTL', KEYS[2]) < 0 then -- expires with the code, also if its TTL was lost
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return 0
