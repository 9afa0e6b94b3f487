import { isDeepStrictEqual } from "node:util";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  copyCheckpoint,
  getCheckpointId,
  maxChannelVersion,
  type PendingWrite,
  type SerializerProtocol,
  TASKS,
  WRITES_IDX_MAP,
} from "@langchain/langgraph-checkpoint";
import { PyfleetError } from "@pyfleet/core";
import {
  checkpointMember,
  encodeComponent,
  parseCheckpointMember,
  threadKeyList,
  threadKeys,
  threadsIndexKey,
} from "./keys.js";
import {
  assembleTuple,
  configFor,
  loadMetadata,
  loadPendingWrites,
  packBlob,
  packCheckpointRecord,
  packWrite,
  parseLoadReply,
  type RawCheckpoint,
  type RecordHeader,
  readHeader,
} from "./records.js";
import type { RedisClient } from "./redis-client.js";
import { type CheckpointScripts, checkpointScripts } from "./scripts.js";

export interface PlainRedisSaverOptions {
  /**
   * Checkpoint key prefix: pass `RedisKeys.checkpointPrefix` (`<fleet prefix>:cp`); a thread's
   * keys are `<prefix>:{<thread id>}:<name>`.
   */
  prefix: string;
  /**
   * TTL refreshed on every key of a thread at each write. Unset: keys live until
   * {@link PlainRedisSaver.expireThread} gives them a retention TTL, which later writes keep.
   */
  ttlSeconds?: number;
  /** Serializer; defaults to the base class's JsonPlusSerializer. */
  serde?: SerializerProtocol;
}

/** Checkpoints fetched per load script call while listing. */
const LIST_BATCH = 64;

function requireThreadId(config: RunnableConfig, action: string): string {
  const threadId: unknown = config.configurable?.thread_id;
  if (typeof threadId !== "string" || threadId === "") {
    throw new PyfleetError(
      "VALIDATION_FAILED",
      `cannot ${action}: config.configurable.thread_id must be a non-empty string (got ${JSON.stringify(threadId)})`,
    );
  }
  return threadId;
}

function requirePositiveSeconds(ttlSeconds: number, what: string): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new PyfleetError("CONFIG_INVALID", `${what} must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
}

/**
 * LangGraph checkpoint saver on plain Redis commands (hashes, sorted sets, Lua), for servers
 * without RedisJSON / RediSearch: Redis 7, Valkey, Redis Cluster, managed services.
 *
 * Every write is one atomic Lua script on the thread's keys (one hash slot); reads of one
 * checkpoint, its channel blobs and its pending writes are one script call as well.
 * @example
 * const saver = new PlainRedisSaver(redis, { prefix: new RedisKeys("pyfleet").checkpointPrefix });
 * const graph = builder.compile({ checkpointer: saver, interruptBefore: [...] });
 */
export class PlainRedisSaver extends BaseCheckpointSaver {
  readonly prefix: string;
  private readonly ttlMs: number;
  private readonly scripts: CheckpointScripts;

  constructor(
    private readonly redis: RedisClient,
    options: PlainRedisSaverOptions,
  ) {
    super(options.serde);
    if (!options.prefix || /\s/.test(options.prefix)) {
      throw new PyfleetError("CONFIG_INVALID", `invalid checkpoint key prefix ${JSON.stringify(options.prefix)}`);
    }
    if (options.ttlSeconds !== undefined) requirePositiveSeconds(options.ttlSeconds, "checkpointer ttlSeconds");
    this.prefix = options.prefix;
    this.ttlMs = (options.ttlSeconds ?? 0) * 1000;
    this.scripts = checkpointScripts(redis);
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId: unknown = config.configurable?.thread_id;
    if (typeof threadId !== "string" || threadId === "") return undefined;
    const checkpointNs: string = config.configurable?.checkpoint_ns ?? "";
    const checkpointId = getCheckpointId(config);
    const args = checkpointId
      ? ["members", checkpointMember(checkpointNs, checkpointId)]
      : ["latest", encodeComponent(checkpointNs)];
    const [raw] = await this.load(threadId, args);
    if (raw === undefined) return undefined;
    const header = readHeader(raw);
    return this.toTuple(threadId, raw, header, await loadMetadata(this.serde, header));
  }

  override async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options ?? {};
    let remaining = options?.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const onlyThread: unknown = config.configurable?.thread_id;
    const threadIds = typeof onlyThread === "string" && onlyThread !== "" ? [onlyThread] : await this.liveThreads();
    const beforeId: string | undefined = before?.configurable?.checkpoint_id;
    const exactId: string | undefined = config.configurable?.checkpoint_id || undefined;
    const checkpointNs: string | undefined = config.configurable?.checkpoint_ns;

    for (const threadId of threadIds) {
      const members = (await this.members(threadId, checkpointNs)).filter((member) => {
        const { checkpointId } = parseCheckpointMember(member);
        return (exactId === undefined || checkpointId === exactId) && (beforeId === undefined || checkpointId < beforeId);
      });
      for (let i = 0; i < members.length; ) {
        // Without a filter every loaded checkpoint is yielded: load no more than the limit needs.
        const size = filter ? LIST_BATCH : Math.min(LIST_BATCH, remaining);
        const batch = members.slice(i, i + size);
        i += size;
        for (const raw of await this.load(threadId, ["members", ...batch])) {
          const header = readHeader(raw);
          const metadata = await loadMetadata(this.serde, header);
          if (filter && !Object.entries(filter).every(([k, v]) => isDeepStrictEqual((metadata as Record<string, unknown>)[k], v))) {
            continue;
          }
          yield await this.toTuple(threadId, raw, header, metadata);
          remaining -= 1;
          if (remaining <= 0) return;
        }
      }
    }
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = requireThreadId(config, "put a checkpoint");
    const checkpointNs: string = config.configurable?.checkpoint_ns ?? "";
    const parentId: string | undefined = config.configurable?.checkpoint_id || undefined;
    const stored = copyCheckpoint(checkpoint);
    const values = stored.channel_values;
    stored.channel_values = {};
    const [typedCheckpoint, typedMetadata] = await Promise.all([
      this.serde.dumpsTyped(stored),
      this.serde.dumpsTyped(metadata),
    ]);

    const carried: string[] = [];
    for (const [channel, version] of Object.entries(checkpoint.channel_versions)) {
      if (!(channel in newVersions)) carried.push(`${encodeComponent(channel)}|${encodeComponent(String(version))}`);
    }
    const blobArgs: Array<string | Buffer> = [];
    for (const [channel, version] of Object.entries(newVersions)) {
      if (!Object.hasOwn(values, channel)) continue;
      const ref = `${encodeComponent(channel)}|${encodeComponent(String(version))}|${encodeComponent(checkpoint.id)}`;
      blobArgs.push(ref, packBlob(channel, await this.serde.dumpsTyped(values[channel])));
    }

    await Promise.all([
      this.scripts.put(threadKeyList(this.prefix, threadId), [
        String(this.ttlMs),
        encodeComponent(checkpointNs),
        checkpointMember(checkpointNs, checkpoint.id),
        parentId === undefined ? "" : checkpointMember(checkpointNs, parentId),
        packCheckpointRecord(checkpoint.id, parentId, typedCheckpoint, typedMetadata),
        String(carried.length),
        ...carried,
        ...blobArgs,
      ]),
      // A put with a parent extends a thread that its first put already indexed; only a TTL
      // refresh needs the index again. Saves one command per graph step.
      parentId === undefined || this.ttlMs > 0 ? this.indexThread(threadId) : undefined,
    ]);
    return configFor(threadId, checkpointNs, checkpoint.id);
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    const threadId = requireThreadId(config, "put writes");
    const checkpointId: unknown = config.configurable?.checkpoint_id;
    if (typeof checkpointId !== "string" || checkpointId === "") {
      throw new PyfleetError("VALIDATION_FAILED", "cannot put writes: config.configurable.checkpoint_id is missing");
    }
    const member = checkpointMember(config.configurable?.checkpoint_ns ?? "", checkpointId);
    const args: Array<string | Buffer> = [String(this.ttlMs)];
    for (const [i, [channel, value]] of writes.entries()) {
      const special = WRITES_IDX_MAP[channel];
      const idx = special ?? i;
      args.push(
        special === undefined ? "k" : "o",
        `${member}|${encodeComponent(taskId)}|${idx}`,
        packWrite(taskId, channel, taskPath, idx, await this.serde.dumpsTyped(value)),
      );
    }
    await this.scripts.putWrites(threadKeyList(this.prefix, threadId), args);
  }

  override async deleteThread(threadId: string): Promise<void> {
    await Promise.all([
      this.redis.unlink(...threadKeyList(this.prefix, threadId)),
      this.redis.zrem(threadsIndexKey(this.prefix), threadId),
    ]);
  }

  /**
   * Gives every key of the thread a retention TTL (called when a run reaches a terminal
   * state). Later writes to the thread keep that TTL. Threads whose retention has passed are
   * pruned from the cross-thread index here, so the index stays bounded.
   */
  async expireThread(threadId: string, ttlSeconds: number): Promise<void> {
    requirePositiveSeconds(ttlSeconds, "retention ttlSeconds");
    const tx = this.redis.multi();
    for (const key of threadKeyList(this.prefix, threadId)) tx.expire(key, ttlSeconds);
    const now = Date.now();
    const index = threadsIndexKey(this.prefix);
    await Promise.all([
      tx.exec(),
      this.redis.zadd(index, "XX", now + ttlSeconds * 1000, threadId),
      this.redis.zremrangebyscore(index, "-inf", now),
    ]);
  }

  /**
   * Retires the thread of a run that has ended: keeps only the newest checkpoint of each
   * namespace (with the channel values it references and its own pending writes), drops every
   * superseded checkpoint, blob and write, and gives every key the retention TTL, in one atomic
   * script. What remains answers `getTuple` / `getState` exactly as before; only the history
   * (`list`, `getStateHistory`) loses the superseded steps. Threads past their retention leave
   * the cross-thread index as in {@link expireThread}.
   * @returns the number of checkpoints dropped.
   */
  async retireThread(threadId: string, ttlSeconds: number): Promise<number> {
    requirePositiveSeconds(ttlSeconds, "retention ttlSeconds");
    const now = Date.now();
    const index = threadsIndexKey(this.prefix);
    const [dropped] = await Promise.all([
      this.scripts.retire(threadKeyList(this.prefix, threadId), [String(ttlSeconds * 1000)]),
      this.redis.zadd(index, "XX", now + ttlSeconds * 1000, threadId),
      this.redis.zremrangebyscore(index, "-inf", now),
    ]);
    return Number(dropped);
  }

  /**
   * Drops threads whose retention ran out from the cross-thread index. Retiring a thread does
   * that too, so a busy fleet needs nothing else; an idle one would keep the entries of its last
   * retention window until the next run ends (the approver's sweep calls this).
   * @returns the number of entries removed.
   */
  pruneThreadIndex(): Promise<number> {
    return this.redis.zremrangebyscore(threadsIndexKey(this.prefix), "-inf", Date.now());
  }

  private async toTuple(
    threadId: string,
    raw: RawCheckpoint,
    header: RecordHeader,
    metadata: CheckpointMetadata,
  ): Promise<CheckpointTuple> {
    const tuple = await assembleTuple(this.serde, threadId, raw, header, metadata);
    if (tuple.checkpoint.v < 4 && header.parentId !== undefined) {
      await this.migratePendingSends(tuple.checkpoint, threadId, header.checkpointNs, header.parentId);
    }
    return tuple;
  }

  /** Checkpoints older than format 4 kept pending sends as TASKS writes on their parent. */
  private async migratePendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parentId: string) {
    const [parent] = await this.load(threadId, ["members", checkpointMember(ns, parentId)]);
    const sends = parent === undefined ? [] : await loadPendingWrites(this.serde, parent.writes, TASKS);
    checkpoint.channel_values[TASKS] = sends.map(([, , value]) => value);
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  private async load(threadId: string, args: string[]): Promise<RawCheckpoint[]> {
    return parseLoadReply(await this.scripts.load(threadKeyList(this.prefix, threadId), args));
  }

  /** Checkpoint members of a thread, newest first, for one namespace or all of them. */
  private async members(threadId: string, checkpointNs: string | undefined): Promise<string[]> {
    const { order } = threadKeys(this.prefix, threadId);
    if (checkpointNs === undefined) return this.redis.zrange(order, "+", "-", "BYLEX", "REV");
    const ns = encodeComponent(checkpointNs);
    return this.redis.zrange(order, `(${ns}}`, `[${ns}|`, "BYLEX", "REV");
  }

  private async liveThreads(): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(threadsIndexKey(this.prefix), `(${Date.now()}`, "+inf");
    return ids.sort();
  }

  private async indexThread(threadId: string): Promise<void> {
    const index = threadsIndexKey(this.prefix);
    if (this.ttlMs > 0) await this.redis.zadd(index, "GT", Date.now() + this.ttlMs, threadId);
    else await this.redis.zadd(index, "NX", "+inf", threadId);
  }
}
