-- Counts one unverified send to a destination (a number range, a foreign country, or
-- every destination), within its limit; atomic, so concurrent sends never exceed it. A
-- destination with a block key is refused while the block lives. The block is started
-- by the caller, and only for a send the phone's own script accepted: a concurrent
-- request refused by the send interval holds a count for one round trip, and must not
-- block a range on its own. The counter's window starts with its first send; a counter
-- found without a TTL gets one again. Both keys share one slot (the block key is the
-- counter's key with a suffix).
-- KEYS[1] the counter, KEYS[2] (optional) the block
-- ARGV[1] the limit (at least 1), ARGV[2] the window in ms, ARGV[3] the block in ms
-- Returns {1, 0} when counted; {0, wait_ms, 1} while blocked, {0, block_ms, 2} when a
-- counter with a block is full (the block is to start), {0, wait_ms, 3} when a counter
-- without a block is full.
if #KEYS > 1 then
  local blocked = redis.call('PTTL', KEYS[2])
  if blocked == -1 then -- a block without TTL, by another program: a whole block
    blocked = tonumber(ARGV[3])
  end
  if blocked > 0 then
    return {0, blocked, 1}
  end
end
local used = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if used > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  if #KEYS > 1 then
    return {0, tonumber(ARGV[3]), 2}
  end
  return {0, ttl, 3}
end
return {1, 0}
