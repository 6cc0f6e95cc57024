-- Takes back a send that did not happen, on a single Redis node: gives back the quota
-- counts this send took, and deletes the flag and code if the code is still this send's.
-- KEYS[1] flag, KEYS[2] code, KEYS[3] daily, KEYS[4] ip, KEYS[5] total
-- ARGV[1] the code this send stored; ARGV[2..4] "1" where daily, ip, total were counted
-- Returns 1 when the flag and code were deleted, 0 when the code had changed.
for i = 3, 5 do
  if ARGV[i - 1] == '1' then
    if redis.call('DECR', KEYS[i]) <= 0 then
      redis.call('DEL', KEYS[i])
    end
  end
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
