-- Takes back a send that did not happen (the provider failed, or another quota refused),
-- so the user can retry at once. Only undoes its own send: nothing changes unless the
-- stored code is still the one this request stored.
-- KEYS[1] flag, KEYS[2] code, KEYS[3] daily   (one phone, one slot)
-- ARGV[1] the code this request stored, ARGV[2] "1" when the per-phone quota was counted
-- Returns 1 when undone, 0 when the code had changed.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
if ARGV[2] == '1' then
  if redis.call('DECR', KEYS[3]) <= 0 then
    redis.call('DEL', KEYS[3])
  end
end
return 1
