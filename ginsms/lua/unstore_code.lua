-- Takes back a send that did not happen (the provider refused it, or another quota
-- refused the send): gives back the per-phone count, and deletes the flag and the code
-- if the code is still this send's.
-- KEYS[1] flag, KEYS[2] code, KEYS[3] daily   (one phone, one slot)
-- ARGV[1] the code this send stored, ARGV[2] "1" when the per-phone quota was counted
-- Returns 1 when the flag and code were deleted, 0 when the code had changed.
if ARGV[2] == '1' then
  if redis.call('DECR', KEYS[3]) <= 0 then
    redis.call('DEL', KEYS[3])
  end
end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
