-- Gives back one unit reserved by reserve.lua.
-- KEYS[1] counter
-- Returns the count left.
local left = redis.call('DECR', KEYS[1])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return left
