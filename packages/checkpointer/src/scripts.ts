import { PyfleetError } from "@pyfleet/core";
import { THREAD_KEY_NAMES } from "./keys.js";
import type { RedisClient } from "./redis-client.js";

/**
 * Lua scripts of the plain saver. Each receives the thread's five keys (see `keys.ts`, in
 * `THREAD_KEY_NAMES` order) and runs atomically in one round trip. They touch only declared
 * keys, all in one hash slot, so they run unchanged on Redis Cluster and Valkey.
 */

/**
 * Shared Lua helpers: TTL inheritance and chunked HMGET (unpack has a C-stack limit). The
 * `order` key (KEYS[2]) stands for the thread's TTL: every put creates it, and every TTL
 * change (a write with a TTL, expireThread) sets all five keys at once.
 */
const HELPERS = `
local function inherited_ttl()
  local t = redis.call('PTTL', KEYS[2])
  if t > 0 then return t end
  return 0
end
local function apply_ttl(ttl)
  if ttl > 0 then
    for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
local function hmget_all(key, fields)
  local out = {}
  for i = 1, #fields, 500 do
    local chunk = {}
    for j = i, math.min(i + 499, #fields) do chunk[#chunk + 1] = fields[j] end
    local vals = redis.call('HMGET', key, unpack(chunk))
    for j = 1, #vals do out[#out + 1] = vals[j] end
  end
  return out
end
`;

/**
 * put: stores one checkpoint record, the blobs of its new channel versions, and its blob
 * references: new versions point at blobs written here, unchanged ones inherit the parent's
 * reference. Blob fields carry the writing checkpoint's id, so two checkpoints that reach the
 * same version number on different branches (a fork, a duplicate step) never overwrite
 * each other's values.
 *
 * ARGV: ttlMs (0 = keep the thread's current TTL), ns, member, parent member or '',
 * record, n, n carried `channel|version` keys, then (ref line, blob) pairs.
 */
const PUT = `${HELPERS}
local ttl = tonumber(ARGV[1])
if ttl <= 0 then ttl = inherited_ttl() end
local ns, member, parent = ARGV[2], ARGV[3], ARGV[4]
local n = tonumber(ARGV[6])
local refs = {}
if n > 0 and parent ~= '' then
  local parent_refs = redis.call('HGET', KEYS[1], 'r|' .. parent)
  if parent_refs then
    local by_key = {}
    for line in string.gmatch(parent_refs, '[^\\n]+') do
      by_key[string.match(line, '^(.*)|[^|]*$')] = line
    end
    for i = 7, 6 + n do
      local line = by_key[ARGV[i]]
      if line then refs[#refs + 1] = line end
    end
  end
end
local blobs = {}
for i = 7 + n, #ARGV, 2 do
  refs[#refs + 1] = ARGV[i]
  blobs[#blobs + 1] = ns .. '|' .. ARGV[i]
  blobs[#blobs + 1] = ARGV[i + 1]
end
for i = 1, #blobs, 500 do
  redis.call('HSET', KEYS[3], unpack(blobs, i, math.min(i + 499, #blobs)))
end
redis.call('HSET', KEYS[1], 'c|' .. member, ARGV[5], 'r|' .. member, table.concat(refs, '\\n'))
redis.call('ZADD', KEYS[2], 0, member)
apply_ttl(ttl)
return 1
`;

/**
 * putWrites: ARGV: ttlMs, then (mode, field, value) triples. Mode `o` overwrites (special
 * channels such as errors and interrupts, which have fixed negative indices), mode `k` keeps
 * an existing write (a retried task must not replace what the first attempt recorded).
 */
const PUT_WRITES = `${HELPERS}
local ttl = tonumber(ARGV[1])
if ttl <= 0 then ttl = inherited_ttl() end
for i = 2, #ARGV, 3 do
  local field = ARGV[i + 1]
  if ARGV[i] == 'o' then
    redis.call('HSET', KEYS[4], field, ARGV[i + 2])
    redis.call('ZADD', KEYS[5], 0, field)
  elseif redis.call('HSETNX', KEYS[4], field, ARGV[i + 2]) == 1 then
    redis.call('ZADD', KEYS[5], 0, field)
  end
end
apply_ttl(ttl)
return 1
`;

/**
 * load: ARGV[1] = 'latest' with ARGV[2] = encoded ns, or 'members' with ARGV[2..] = members.
 * Returns, per found checkpoint, { member, record, blobs[], writes[] }.
 */
const LOAD = `${HELPERS}
local members = {}
if ARGV[1] == 'latest' then
  members = redis.call('ZRANGE', KEYS[2], '(' .. ARGV[2] .. '}', '[' .. ARGV[2] .. '|', 'BYLEX', 'REV', 'LIMIT', 0, 1)
else
  for i = 2, #ARGV do members[#members + 1] = ARGV[i] end
end
local out = {}
for _, member in ipairs(members) do
  local rec = redis.call('HMGET', KEYS[1], 'c|' .. member, 'r|' .. member)
  if rec[1] then
    local ns = string.match(member, '^([^|]*)|')
    local fields = {}
    if rec[2] then
      for line in string.gmatch(rec[2], '[^\\n]+') do fields[#fields + 1] = ns .. '|' .. line end
    end
    local wfields = redis.call('ZRANGE', KEYS[5], '[' .. member .. '|', '(' .. member .. '}', 'BYLEX')
    out[#out + 1] = { member, rec[1], hmget_all(KEYS[3], fields), hmget_all(KEYS[4], wfields) }
  end
end
return out
`;

/**
 * retire: for a thread whose run has ended. Keeps the newest checkpoint of each namespace with
 * the blobs it references and its own pending writes, drops every superseded checkpoint, blob
 * and write (nothing resumes from them; a finished graph reads only its latest checkpoint), then
 * sets the retention TTL on every key. One atomic call, so a reader sees the thread before or
 * after, never half pruned. ARGV: ttlMs (> 0). Returns the number of checkpoints dropped.
 */
const RETIRE = `
local function del_fields(key, fields, cmd)
  for i = 1, #fields, 500 do
    local chunk = {}
    for j = i, math.min(i + 499, #fields) do chunk[#chunk + 1] = fields[j] end
    redis.call(cmd, key, unpack(chunk))
  end
end
local latest = {}
local dropped = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local ns = string.match(m, '^([^|]*)|')
  if latest[ns] then dropped[#dropped + 1] = latest[ns] end
  latest[ns] = m
end
local keep_blobs, keep_writes = {}, {}
for ns, m in pairs(latest) do
  local refs = redis.call('HGET', KEYS[1], 'r|' .. m)
  if refs then
    for line in string.gmatch(refs, '[^\\n]+') do keep_blobs[ns .. '|' .. line] = true end
  end
  for _, w in ipairs(redis.call('ZRANGE', KEYS[5], '[' .. m .. '|', '(' .. m .. '}', 'BYLEX')) do keep_writes[w] = true end
end
if #dropped > 0 then
  local fields = {}
  for _, m in ipairs(dropped) do fields[#fields + 1] = 'c|' .. m; fields[#fields + 1] = 'r|' .. m end
  del_fields(KEYS[1], fields, 'HDEL')
  del_fields(KEYS[2], dropped, 'ZREM')
end
local stale = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  if not keep_blobs[f] then stale[#stale + 1] = f end
end
if #stale > 0 then del_fields(KEYS[3], stale, 'HDEL') end
stale = {}
for _, w in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  if not keep_writes[w] then stale[#stale + 1] = w end
end
if #stale > 0 then
  del_fields(KEYS[4], stale, 'HDEL')
  del_fields(KEYS[5], stale, 'ZREM')
end
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
return #dropped
`;

/** One of the saver's scripts: thread keys in, the raw reply out, bulk strings as Buffers. */
export type CheckpointScript = (keys: string[], args: ReadonlyArray<string | Buffer>) => Promise<unknown>;

/** The saver's scripts, bound to one client. */
export interface CheckpointScripts {
  put: CheckpointScript;
  putWrites: CheckpointScript;
  load: CheckpointScript;
  retire: CheckpointScript;
}

/** The scripts' Lua sources (their SHA1 is what the server caches). */
export const CHECKPOINT_LUA = { put: PUT, putWrites: PUT_WRITES, load: LOAD, retire: RETIRE } as const;

/** Command names on the client; prefixed so they never shadow a Redis command or another package's script. */
const COMMAND_NAMES = {
  put: "pyfleetCheckpointPut",
  putWrites: "pyfleetCheckpointPutWrites",
  load: "pyfleetCheckpointLoad",
  retire: "pyfleetCheckpointRetire",
} as const;

type ScriptCall = (...args: Array<string | Buffer>) => Promise<unknown>;

/**
 * Defines the saver's scripts on the client with ioredis `defineCommand` (EVALSHA, loaded with
 * EVAL on the server's first NOSCRIPT, also inside pipelines and on every Cluster node) and
 * returns them bound to it. Uses the `…Buffer` form: blobs are binary. Defining twice is a no-op.
 */
export function checkpointScripts(redis: RedisClient): CheckpointScripts {
  const call = (which: keyof typeof COMMAND_NAMES): CheckpointScript => {
    const name = COMMAND_NAMES[which];
    const client = redis as unknown as Record<string, ScriptCall | undefined>;
    if (typeof client[name] !== "function") redis.defineCommand(name, { lua: CHECKPOINT_LUA[which], numberOfKeys: THREAD_KEY_NAMES.length });
    const fn = client[`${name}Buffer`] as ScriptCall;
    return async (keys, args) => {
      if (keys.length !== THREAD_KEY_NAMES.length) {
        throw new PyfleetError("INTERNAL", `checkpoint script ${name} takes the thread's ${THREAD_KEY_NAMES.length} keys, got ${keys.length}`);
      }
      return fn.call(redis, ...keys, ...args);
    };
  };
  return { put: call("put"), putWrites: call("putWrites"), load: call("load"), retire: call("retire") };
}
