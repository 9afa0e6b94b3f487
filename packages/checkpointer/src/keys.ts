/**
 * Redis key layout of the plain checkpointer.
 *
 * `prefix` is the checkpoint key prefix, i.e. `RedisKeys.checkpointPrefix` (`<fleet prefix>:cp`).
 * Every key of one thread lives under `<prefix>:{<thread>}:` so that Redis Cluster puts the
 * whole thread in one hash slot (the `{...}` hash tag) and a Lua script may touch all of them.
 * A thread owns a fixed set of five keys, whatever its number of checkpoints, so scripts can
 * declare every key they touch and retention is five EXPIRE calls:
 *
 * | key          | type | content                                                        |
 * |--------------|------|----------------------------------------------------------------|
 * | `checkpoints`| hash | `c|<ns>|<id>` → packed record, `r|<ns>|<id>` → blob references  |
 * | `order`      | zset | `<ns>|<id>` (score 0, lexicographic: uuid6 ids sort by time)    |
 * | `blobs`      | hash | `<ns>|<channel>|<version>|<writer id>` → packed channel value   |
 * | `writes`     | hash | `<ns>|<id>|<task>|<idx>` → packed pending write                 |
 * | `windex`     | zset | same members as `writes` fields, to range over one checkpoint   |
 *
 * Outside the thread's slot, `<prefix>:threads` (zset, score = expiry in ms or +inf)
 * indexes threads for `list()` without a thread id.
 */

/** Names of the per-thread keys, in the order the Lua scripts receive them. */
export const THREAD_KEY_NAMES = ["checkpoints", "order", "blobs", "writes", "windex"] as const;

/** The five keys of one thread. */
export type ThreadKeys = Record<(typeof THREAD_KEY_NAMES)[number], string>;

/**
 * Encodes one component of a key, member or field. `encodeURIComponent` escapes every
 * character the layout gives meaning to (`|`, `:`, `{`, `}`, `%`, newline) and keeps
 * uuid6 ids unchanged, so the lexicographic order of encoded ids is their time order.
 */
export function encodeComponent(value: string): string {
  return encodeURIComponent(value);
}

/** Inverse of {@link encodeComponent}. */
export function decodeComponent(value: string): string {
  return decodeURIComponent(value);
}

/** The zset indexing threads for `list()` across threads. */
export function threadsIndexKey(prefix: string): string {
  return `${prefix}:threads`;
}

function threadBase(prefix: string, threadId: string): string {
  return `${prefix}:{${encodeComponent(threadId)}}`;
}

/** Every key one thread can own (all in one cluster hash slot). */
export function threadKeys(prefix: string, threadId: string): ThreadKeys {
  const base = threadBase(prefix, threadId);
  return {
    checkpoints: `${base}:checkpoints`,
    order: `${base}:order`,
    blobs: `${base}:blobs`,
    writes: `${base}:writes`,
    windex: `${base}:windex`,
  };
}

/** The thread's keys as the ordered list the Lua scripts expect. */
export function threadKeyList(prefix: string, threadId: string): string[] {
  const keys = threadKeys(prefix, threadId);
  return THREAD_KEY_NAMES.map((name) => keys[name]);
}

/** Escapes the glob characters of `SCAN MATCH` / `KEYS` patterns. */
function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * A `SCAN MATCH` pattern that matches every key of one thread and nothing else,
 * e.g. for audits or for tools that expire or copy a thread.
 */
export function threadKeysPattern(prefix: string, threadId: string): string {
  return `${escapeGlob(threadBase(prefix, threadId))}:*`;
}

/** Sorted-set member (and field suffix) naming one checkpoint: `<ns>|<id>`. */
export function checkpointMember(checkpointNs: string, checkpointId: string): string {
  return `${encodeComponent(checkpointNs)}|${encodeComponent(checkpointId)}`;
}

/** Splits a {@link checkpointMember} back into namespace and id. */
export function parseCheckpointMember(member: string): { checkpointNs: string; checkpointId: string } {
  const bar = member.indexOf("|");
  return {
    checkpointNs: decodeComponent(member.slice(0, bar)),
    checkpointId: decodeComponent(member.slice(bar + 1)),
  };
}
