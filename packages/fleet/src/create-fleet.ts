import { type Clock, type EventSink, type ExecutionMode, type Logger, RedisKeys, silentLogger, systemClock } from "@pyfleet/core";
import type { Pipeline } from "@pyfleet/workflow";
import { Redis } from "ioredis";
import { ExecutionMarkers } from "./approvals/redis-execution-guard.js";
import type { AuditLog } from "./audit/audit-log.js";
import type { FleetConfig } from "./config.js";
import type { ApprovalRecorder, FleetContext, StageObserver } from "./context.js";
import { Fleet } from "./fleet.js";
import { type StageName, servedQueues } from "./queues/catalog.js";
import { Dispatcher } from "./queues/dispatcher.js";
import { coalesceWrites } from "./redis/coalesce-writes.js";
import { RunEventLog } from "./runs/event-log.js";
import { BatchingEventSink } from "./runs/event-sink.js";
import { RunStore } from "./runs/run-store.js";
import { RunDriver } from "./worker/run-driver.js";
import { StageWorkers } from "./worker/stage-workers.js";

/** A pipeline with what the fleet needs around it. */
export interface BuiltPipeline {
  pipeline: Pipeline;
  /** Retention TTL on a finished thread's checkpoints; null when the saver cannot. */
  expireThread: ((threadId: string, seconds: number) => Promise<void>) | null;
  /** Drops threads whose retention ran out from the checkpointer's index (the sweep); absent: it keeps none. @returns entries removed. */
  pruneThreadIndex?(): Promise<number>;
  approvals: ApprovalRecorder | null;
  /** The process's one audit log, shared by the pipeline's parts and the fleet (null: none). */
  audit: Pick<AuditLog, "append"> | null;
  /** Resolves when the execution backend answers (for `/readyz`). */
  backendReady(): Promise<void>;
  /** Kernel pool sizes per kernel name, when the backend has pools. */
  poolStats?(): Array<{ kernel: string; idle: number; busy: number; pending: number }>;
  close(): Promise<void>;
}

export interface PipelineBuildInput<C> {
  config: C;
  redis: Redis;
  keys: RedisKeys;
  events: EventSink;
  logger: Logger;
  clock: Clock;
  /** Execute modes this process serves (executors are only built for these). */
  modes: readonly ExecutionMode[];
}

/** Builds the pipeline and its dependencies (the default wires the real packages). */
export type PipelineBuilder<C> = (input: PipelineBuildInput<C>) => Promise<BuiltPipeline>;

export interface CreateFleetOptions<C extends FleetConfig, B extends BuiltPipeline = BuiltPipeline> {
  /** Stages to serve; none = a producer/approver-only process. */
  stages?: readonly StageName[];
  /** Execute modes to serve (required when `stages` has `execute`). */
  modes?: readonly ExecutionMode[];
  /** Overrides every served queue's configured concurrency. */
  concurrency?: number;
  logger?: Logger;
  clock?: Clock;
  observer?: StageObserver;
  build: (input: PipelineBuildInput<C>) => Promise<B>;
}

/**
 * Wires config → Redis, stores, pipeline and (for the given stages) queue workers.
 * Everything it opens is closed by `fleet.close()`; it keeps no global state.
 * @throws Error when `execute` is requested without a mode.
 */
export async function createFleet<C extends FleetConfig, B extends BuiltPipeline = BuiltPipeline>(
  config: C,
  opts: CreateFleetOptions<C, B>,
): Promise<{ fleet: Fleet; built: B }> {
  const stages = opts.stages ?? [];
  const modes = opts.modes ?? [];
  const queues = servedQueues(stages, modes);
  const logger = opts.logger ?? silentLogger();
  const clock = opts.clock ?? systemClock;
  const keys = new RedisKeys(config.redis.prefix);
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  coalesceWrites(redis);
  await redis.connect();
  const closers: Array<() => Promise<void>> = [];
  try {
    const events = new RunEventLog(redis, keys, config.runs.events_maxlen);
    const sink = new BatchingEventSink(events, clock, logger);
    const built = await opts.build({ config, redis, keys, events: sink, logger, clock, modes });
    closers.push(() => built.close());
    const ctx: FleetContext = {
      config,
      keys,
      redis,
      pipeline: built.pipeline,
      runs: new RunStore(redis, keys, config.runs.retention_seconds),
      events,
      sink,
      dispatcher: new Dispatcher(redis, keys.bullPrefix, config),
      approvals: built.approvals,
      audit: built.audit,
      markers: new ExecutionMarkers(redis, keys),
      expireThread: built.expireThread,
      pruneThreadIndex: built.pruneThreadIndex?.bind(built) ?? null,
      clock,
      logger,
      observer: opts.observer ?? null,
    };
    const driver = new RunDriver(ctx);
    const workers =
      queues.length > 0 ? new StageWorkers(ctx, driver, opts.concurrency ? { queues, concurrency: opts.concurrency } : { queues }) : null;
    const fleet = new Fleet(ctx, driver, workers, queues, closers);
    try {
      await workers?.start();
    } catch (err) {
      await fleet.close();
      throw err;
    }
    return { fleet, built };
  } catch (err) {
    for (const c of closers) await c().catch(() => undefined);
    redis.disconnect();
    throw err;
  }
}
