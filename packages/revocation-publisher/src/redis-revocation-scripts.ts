/**
 * The two Lua scripts of the Redis revocation publisher. Each runs atomically, which is what makes
 * a sequence number match its broadcast, and a heartbeat impossible once the store lost its data.
 */

/**
 * KEYS: sessions, accounts, seq. ARGV: channel, prune-below (epoch ms), then per entry its set
 * ('s' or 'a'), member, score and JSON. GT: a later, shorter expiry never shortens a recorded one.
 */
export const PUBLISH_SCRIPT = `
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
for i = 3, #ARGV, 4 do
  local key = KEYS[2]
  if ARGV[i] == 's' then key = KEYS[1] end
  redis.call('ZADD', key, 'GT', ARGV[i + 2], ARGV[i + 1])
  seq = seq + 1
  redis.call('PUBLISH', ARGV[1], '{"type":"entry","seq":' .. string.format('%d', seq) .. ',"entry":' .. ARGV[i + 3] .. '}')
end
redis.call('SET', KEYS[3], string.format('%d', seq))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2])
return seq
`

/** KEYS: seeded, seq. ARGV: channel, epoch. Returns 1 when the heartbeat went out, 0 when the store is not that epoch's. */
export const HEARTBEAT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
local seq = redis.call('GET', KEYS[2]) or '0'
redis.call('PUBLISH', ARGV[1], '{"type":"heartbeat","epoch":"' .. ARGV[2] .. '","seq":' .. seq .. '}')
return 1
`
