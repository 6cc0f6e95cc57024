-- Gives back one use counted by reserve.lua (a send taken back).
-- KEYS[1] the counter
-- Returns the count left; a counter at zero is deleted.
local left = redis.call('DECR', KEYS[1])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return left
