/**
 * The one Lua script every change of a conference on Redis goes through, so that the new snapshot,
 * its events and its liveness deadlines are written together or not at all. It compares the
 * snapshot's revision with the one the command read (compare-and-set: -1 on a mismatch, and the
 * store reruns the command on a fresh copy), checks an optional liveness guard (-2 when that
 * deadline moved: the sweeper's expiry is stale), XADDs the events under `<version>-1` ids trimmed
 * to the retention (exactly, so the 410 rule is the in-memory one), applies the deadlines and
 * PUBLISHes one wake-up carrying the media key. It answers the new revision.
 *
 * KEYS: snapshot hash, event stream, liveness sorted set.
 * ARGV: mode (create | write | keep | delete), expected revision, snapshot JSON, retention, wake
 * channel, media key, guard member ('' for none), guard score, then the event count and that many
 * (id, JSON) pairs, then the deadline count and that many (member, score, how) triples: how is `set`,
 * `later` (only when later than the current one: a sign of life) or `remove`.
 */
export const COMMIT_SCRIPT = `
local rev = redis.call('HGET', KEYS[1], 'rev')
local mode = ARGV[1]
if mode == 'create' then
  if rev then return -1 end
  redis.call('DEL', KEYS[2])
  rev = '0'
elseif rev ~= ARGV[2] then
  return -1
end
if ARGV[7] ~= '' then
  local score = redis.call('ZSCORE', KEYS[3], ARGV[7])
  if (not score) or tonumber(score) ~= tonumber(ARGV[8]) then return -2 end
end
local i = 10
for _ = 1, tonumber(ARGV[9]) do
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], ARGV[i], 'e', ARGV[i + 1])
  i = i + 2
end
local deadlines = tonumber(ARGV[i])
i = i + 1
for _ = 1, deadlines do
  local how = ARGV[i + 2]
  if how == 'remove' then redis.call('ZREM', KEYS[3], ARGV[i])
  elseif how == 'later' then redis.call('ZADD', KEYS[3], 'GT', ARGV[i + 1], ARGV[i])
  else redis.call('ZADD', KEYS[3], ARGV[i + 1], ARGV[i]) end
  i = i + 3
end
local next = tonumber(rev)
if mode == 'delete' then
  redis.call('DEL', KEYS[1])
  -- Polls woken by the last event still read it; nobody can ask for more.
  redis.call('PEXPIRE', KEYS[2], 60000)
elseif mode ~= 'keep' then
  next = next + 1
  redis.call('HSET', KEYS[1], 'rev', next, 'json', ARGV[3])
end
if tonumber(ARGV[9]) > 0 then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return next
`;
