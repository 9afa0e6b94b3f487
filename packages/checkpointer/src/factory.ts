import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import { RedisSaver } from "@langchain/langgraph-checkpoint-redis";
import { PyfleetError } from "@pyfleet/core";
import { expireOfficialThread } from "./official-keys.js";
import { PlainRedisSaver } from "./plain-redis-saver.js";
import type { RedisClient } from "./redis-client.js";

/** `checkpointer.type` of config.yml. */
export type CheckpointerType = "auto" | "redis" | "redis-stack";
/** The saver actually in use: `redis` = {@link PlainRedisSaver}, `redis-stack` = the official `RedisSaver`. */
export type CheckpointerKind = "redis" | "redis-stack";

export interface CreateCheckpointerOptions {
  type: CheckpointerType;
  /** Shared ioredis client (used by the plain saver and for the module check; not closed here). */
  redis: RedisClient;
  /** Redis URL; the official saver opens its own node-redis connection to it. */
  url: string;
  /** Checkpoint key prefix (`RedisKeys.checkpointPrefix`). The official saver has fixed key names and ignores it. */
  prefix: string;
  /** TTL refreshed on each write (optional; retention is normally applied per thread). */
  ttlSeconds?: number;
}

export interface CheckpointerHandle {
  saver: BaseCheckpointSaver;
  kind: CheckpointerKind;
  /**
   * On a run's terminal state: applies the retention TTL to every key of its thread. The plain
   * saver also drops the superseded checkpoints then ({@link PlainRedisSaver.retireThread}):
   * a finished run keeps its latest checkpoint only.
   */
  expireThread(threadId: string, ttlSeconds: number): Promise<void>;
  /**
   * Drops threads whose retention ran out from the plain saver's cross-thread index (the
   * approver's sweep); the official saver keeps no such index (0). @returns entries removed.
   */
  pruneThreadIndex(): Promise<number>;
  /** Closes connections opened here (the official saver's); idempotent. */
  close(): Promise<void>;
}

/** Modules the official saver needs, as `MODULE LIST` names them. */
const REQUIRED_MODULES = [
  { name: "search", label: "RediSearch (search)" },
  { name: "ReJSON", label: "RedisJSON (ReJSON)" },
] as const;

/**
 * Names of the loaded Redis modules. A server that refuses `MODULE LIST` (managed services
 * often do) is treated as having none.
 */
export async function loadedModules(redis: RedisClient): Promise<string[]> {
  let reply: unknown;
  try {
    reply = await redis.call("MODULE", "LIST");
  } catch {
    return [];
  }
  return moduleNames(reply);
}

/** Module names from a `MODULE LIST` reply (one `[name, <name>, ver, <n>, …]` array per module). */
export function moduleNames(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((entry: unknown) => {
    if (!Array.isArray(entry)) return [];
    const at = entry.findIndex((v) => String(v) === "name");
    return at >= 0 && at + 1 < entry.length ? [String(entry[at + 1])] : [];
  });
}

/** Required modules missing from `modules` (case-insensitive), as readable labels. */
function missingModules(modules: string[]): string[] {
  const have = new Set(modules.map((m) => m.toLowerCase()));
  return REQUIRED_MODULES.filter((m) => !have.has(m.name.toLowerCase())).map((m) => m.label);
}

/**
 * Builds the checkpointer named by `checkpointer.type`: `redis` is the plain saver, `redis-stack`
 * the official `RedisSaver` (RedisJSON + RediSearch), `auto` the official one when `MODULE LIST`
 * shows both modules and the plain one otherwise.
 * @throws PyfleetError CONFIG_INVALID when `redis-stack` is forced on a server without the modules.
 */
export async function createCheckpointer(opts: CreateCheckpointerOptions): Promise<CheckpointerHandle> {
  const kind = await resolveKind(opts);
  if (kind === "redis") {
    const saver = new PlainRedisSaver(opts.redis, {
      prefix: opts.prefix,
      ...(opts.ttlSeconds === undefined ? {} : { ttlSeconds: opts.ttlSeconds }),
    });
    return {
      saver,
      kind,
      expireThread: async (threadId, ttlSeconds) => {
        await saver.retireThread(threadId, ttlSeconds);
      },
      pruneThreadIndex: () => saver.pruneThreadIndex(),
      close: async () => {},
    };
  }
  const saver = await RedisSaver.fromUrl(
    opts.url,
    opts.ttlSeconds === undefined ? undefined : { defaultTTL: opts.ttlSeconds / 60 },
  );
  let closed = false;
  return {
    saver,
    kind,
    expireThread: async (threadId, ttlSeconds) => {
      await expireOfficialThread(opts.redis, threadId, ttlSeconds);
    },
    pruneThreadIndex: async () => 0,
    close: async () => {
      if (closed) return;
      closed = true;
      await saver.end();
    },
  };
}

async function resolveKind(opts: CreateCheckpointerOptions): Promise<CheckpointerKind> {
  if (opts.type === "redis") return "redis";
  return chooseCheckpointer(opts.type, await loadedModules(opts.redis));
}

/**
 * The saver for `type` on a server with `modules` loaded: the official one when both of its
 * modules are there (`auto`, `redis-stack`), else the plain one (`auto`).
 * @throws PyfleetError CONFIG_INVALID for `redis-stack` without the modules.
 */
export function chooseCheckpointer(type: CheckpointerType, modules: string[]): CheckpointerKind {
  if (type === "redis") return "redis";
  const missing = missingModules(modules);
  if (missing.length === 0) return "redis-stack";
  if (type === "auto") return "redis";
  throw new PyfleetError(
    "CONFIG_INVALID",
    `checkpointer.type is redis-stack but the Redis server lacks the module${missing.length > 1 ? "s" : ""} ` +
      `${missing.join(" and ")}; use checkpointer.type: redis (plain Redis saver) or run Redis 8 / Redis Stack.`,
    { details: { missingModules: missing } },
  );
}
