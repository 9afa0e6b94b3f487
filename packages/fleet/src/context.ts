import type { ApprovalRequest, Clock, ExecutionMode, Logger, RedisKeys, RunStatus, TokenUsage } from "@pyfleet/core";
import type { Pipeline } from "@pyfleet/workflow";
import type { ChainableCommander, Redis } from "ioredis";
import type { ExecutionMarkers } from "./approvals/redis-execution-guard.js";
import type { AuditLog } from "./audit/audit-log.js";
import type { FleetConfig } from "./config.js";
import type { Dispatcher } from "./queues/dispatcher.js";
import type { BatchingEventSink } from "./runs/event-sink.js";
import type { RunEventLog } from "./runs/event-log.js";
import type { RunStore } from "./runs/run-store.js";

/** What the fleet needs from the approval store (`ApprovalStore` fits): record and cancel. */
export interface ApprovalRecorder {
  /**
   * Stores the approval record of an `approve` interrupt; returns it with its id. `alsoInTx`
   * adds the run record's change to the same transaction (parking is atomic).
   */
  create(request: ApprovalRequest, ref: { checkpointNs: string }, alsoInTx?: (tx: ChainableCommander, approvalId: string) => void): Promise<{ id: string }>;
  /** Cancels a pending approval (its run was cancelled); false when it was not pending. */
  cancel(id: string, reason: string): Promise<boolean>;
}

/** A run this process ended, as a {@link StageObserver} sees it. */
export interface FinishedRun {
  status: RunStatus;
  mode: ExecutionMode | null;
  /** Submit to end; null when the record is gone. */
  seconds: number | null;
  /** Outcome (`ok`, `failed`, `refused`) of each real control-system write of the final attempt. */
  writeOutcomes: string[];
}

/** Observes stage work (the worker app turns these into Prometheus metrics). */
export interface StageObserver {
  /** One node ran; `queue` is the queue of the hop it ran in (finalize runs in the hop before it). */
  nodeFinished(node: string, queue: string, seconds: number, outcome: "ok" | "error"): void;
  /** One hop of a run ended: a BullMQ job, or a hop continued in-process into another served queue. */
  jobFinished(queue: string, outcome: "completed" | "failed"): void;
  runFinished?(run: FinishedRun): void;
  /** A parked run was resumed with a decision after waiting `seconds`. */
  approvalDecided?(decision: "approve" | "reject", seconds: number): void;
  /** A generation attempt's LLM call (latency and tokens as the generator measured them). */
  llmCall?(usage: TokenUsage): void;
}

/** Everything a fleet process shares: one Redis connection, the stores, the pipeline. */
export interface FleetContext {
  config: FleetConfig;
  keys: RedisKeys;
  redis: Redis;
  pipeline: Pipeline;
  runs: RunStore;
  events: RunEventLog;
  sink: BatchingEventSink;
  dispatcher: Dispatcher;
  approvals: ApprovalRecorder | null;
  /** The process's one audit log (null when the pipeline has none: tests without approvals). */
  audit: Pick<AuditLog, "append"> | null;
  markers: ExecutionMarkers;
  /** Sets the retention TTL on a finished run's checkpoints (null when the saver cannot). */
  expireThread: ((threadId: string, seconds: number) => Promise<void>) | null;
  /** The checkpointer's index of threads, pruned of expired ones (the sweep); null: none. */
  pruneThreadIndex: (() => Promise<number>) | null;
  clock: Clock;
  logger: Logger;
  observer: StageObserver | null;
}
