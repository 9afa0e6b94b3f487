/** What the resources bench reads from Redis and /proc: traffic, commands, memory, key families, RSS. */
import { readdirSync, readFileSync } from "node:fs";
import type { Redis } from "ioredis";

/** Counters of a Redis server that only the bench talks to. */
export interface Traffic {
  /** Bytes the server received plus bytes it sent (`total_net_input_bytes` + `total_net_output_bytes`). */
  bytes: number;
  /** Calls per command (`INFO commandstats`). */
  calls: Map<string, number>;
  atMs: number;
}

function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

export async function traffic(redis: Redis): Promise<Traffic> {
  const stats = infoFields(await redis.info("stats"));
  const calls = new Map<string, number>();
  for (const [key, value] of infoFields(await redis.info("commandstats"))) {
    const m = /calls=(\d+)/.exec(value);
    if (key.startsWith("cmdstat_") && m) calls.set(key.slice(8), Number(m[1]));
  }
  return { bytes: Number(stats.get("total_net_input_bytes")) + Number(stats.get("total_net_output_bytes")), calls, atMs: Date.now() };
}

/** Commands per run between two readings, most frequent first (the probe's INFO calls and `own` calls left out). */
export function commandsBetween(a: Traffic, b: Traffic, runs: number, own: Record<string, number> = {}): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [cmd, n] of b.calls) {
    if (cmd === "info") continue;
    const d = n - (a.calls.get(cmd) ?? 0) - (own[cmd] ?? 0);
    if (d > 0) out.push([cmd, d / runs]);
  }
  return out.sort((x, y) => y[1] - x[1]);
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number(infoFields(await redis.info("memory")).get("used_memory"));
}

/**
 * The parts of `used_memory` (`MEMORY STATS`): keys and values (`dataset.bytes`), client buffers,
 * the Lua script cache, the keyspace's own tables (`overhead.total`), and the key count.
 */
export async function memoryParts(redis: Redis): Promise<Record<string, number>> {
  const flat = (await redis.call("MEMORY", "STATS")) as unknown[];
  const stats = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) stats.set(String(flat[i]), flat[i + 1]);
  const parts = ["dataset.bytes", "overhead.total", "clients.normal", "lua.caches", "keys.count"];
  return Object.fromEntries(parts.map((p) => [p, Number(stats.get(p) ?? Number.NaN)]));
}

/**
 * Memory Redis holds for its command statistics (per command name: counters and, on Redis 7,
 * latency histograms; a fixed cost per command name ever called, not per run), measured by
 * freeing it: `CONFIG RESETSTAT`, which also zeroes INFO stats and commandstats, so take no
 * {@link traffic} reading across this call. A private redis-server only.
 */
export async function commandStatsMemory(redis: Redis): Promise<number> {
  const before = await usedMemory(redis);
  await redis.config("RESETSTAT");
  return before - (await usedMemory(redis));
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Bytes held per key family: the key with the fleet's prefix shown as `<p>` and ids folded away
 * (`<p>:run:<uuid>:events` → `<p>:run:*:events`, BullMQ's `<p>:bull:analyze:17` → `<p>:bull:analyze:*`),
 * summed with `MEMORY USAGE`.
 */
export async function keyFamilies(redis: Redis, prefix: string): Promise<Array<{ family: string; keys: number; bytes: number }>> {
  const families = new Map<string, { keys: number; bytes: number }>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const family = `${key.startsWith(prefix) ? "<p>" : ""}${key.startsWith(prefix) ? key.slice(prefix.length) : key}`
        .replace(UUID, "*")
        .split(":")
        .map((part) => (/^\d+$/.test(part) ? "*" : part))
        .join(":");
      const bytes = Number((await redis.memory("USAGE", key)) ?? 0);
      const f = families.get(family) ?? { keys: 0, bytes: 0 };
      f.keys++;
      f.bytes += bytes;
      families.set(family, f);
    }
  } while (cursor !== "0");
  return [...families].map(([family, f]) => ({ family, ...f })).sort((a, b) => b.bytes - a.bytes);
}

/** Resident set size of a process in bytes (0 when it is gone). */
export function rss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system, ms) a process used, with the children it has reaped: from
 * `/proc/<pid>/stat` utime + stime + cutime + cstime, or utime + stime alone without
 * `withReaped` (0 when it is gone).
 */
export function cpuMs(pid: number, withReaped = true): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command (which may hold spaces) start at state; utime is field 14
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = (withReaped ? [11, 12, 13, 14] : [11, 12]).reduce((n, i) => n + Number(f[i] ?? 0), 0);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Write syscalls (`write`, `writev`, to sockets and files) a process made so far, all its threads (`/proc/<pid>/io` syscw). */
export function writeCalls(pid: number): number {
  try {
    return Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU ms of a process and every live descendant, each with the children it reaped. */
export function treeCpuMs(pid: number): number {
  return processTree(pid).reduce((total, p) => total + cpuMs(p), 0);
}

/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/** A process and all its descendants (through /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, "utf8").split(" ")) if (c.trim()) out.push(Number(c));
      } catch {
        // the task ended while we looked
      }
    }
  }
  return out;
}

const respBulk = (s: string | null) => (s === null ? 5 : `$${Buffer.byteLength(s)}\r\n`.length + Buffer.byteLength(s) + 2);

/**
 * Waits for runs to finish by reading only their `status` field (`HGET`), and counts exactly what
 * that polling sent and received (RESP2 request and reply bytes), so the bench can subtract its
 * own traffic from the server's totals.
 */
export class StatusPoller {
  calls = 0;
  bytes = 0;

  constructor(
    private readonly redis: Redis,
    private readonly runKey: (runId: string) => string,
    private readonly terminal: (status: string) => boolean,
  ) {}

  /** Resolves with the final status of each run, by id (missing when the deadline passed). */
  async wait(ids: readonly string[], timeoutMs: number, intervalMs = 200): Promise<Map<string, string>> {
    const done = new Map<string, string>();
    const deadline = Date.now() + timeoutMs;
    while (done.size < ids.length && Date.now() < deadline) {
      for (const id of ids) {
        if (done.has(id)) continue;
        const key = this.runKey(id);
        const raw = await this.redis.hget(key, "status");
        this.calls++;
        this.bytes += `*3\r\n`.length + respBulk("HGET") + respBulk(key) + respBulk("status") + respBulk(raw);
        const status = raw === null ? null : (JSON.parse(raw) as string);
        if (status !== null && this.terminal(status)) done.set(id, status);
      }
      if (done.size < ids.length) await new Promise((r) => setTimeout(r, intervalMs));
    }
    return done;
  }
}
