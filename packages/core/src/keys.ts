/**
 * Every Redis key of the fleet, built from one prefix (ARCHITECTURE §3).
 * For Redis Cluster, give a prefix with a hash tag (e.g. `{pyfleet}`) so BullMQ's
 * multi-key scripts stay in one slot; checkpoint keys additionally tag the thread id.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {
    if (!prefix || /\s/.test(prefix)) throw new Error(`invalid Redis key prefix ${JSON.stringify(prefix)}`);
  }
  /** Prefix handed to BullMQ (`<prefix>:bull`). */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }
  /** Prefix for checkpoint keys (`<prefix>:cp`). */
  get checkpointPrefix(): string {
    return `${this.prefix}:cp`;
  }
  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }
  runEvents(runId: string): string {
    return `${this.prefix}:run:${runId}:events`;
  }
  /** Sorted set of run ids by creation time (for listing). */
  runsIndex(): string {
    return `${this.prefix}:runs`;
  }
  /** Stream of run ids whose record was created or changed (a live runs list follows it). */
  runChanges(): string {
    return `${this.prefix}:runs:changes`;
  }
  /** Run id that owns a thread (one run per `thread_id`). */
  threadRun(threadId: string): string {
    return `${this.prefix}:thread:${threadId}`;
  }
  /** Flag set when a run is cancelled; checked by workers before and during work. */
  runCancel(runId: string): string {
    return `${this.prefix}:run:${runId}:cancel`;
  }
  approval(id: string): string {
    return `${this.prefix}:approval:${id}`;
  }
  approvalsPending(): string {
    return `${this.prefix}:approvals:pending`;
  }
  approvalsAll(): string {
    return `${this.prefix}:approvals`;
  }
  /** Lease of the one process applying a decision to a run parked at `step` (see RunStore.claimResume). */
  runResume(runId: string, step: number): string {
    return `${this.prefix}:run:${runId}:resume:${step}`;
  }
  /** At-most-once marker for write executions. */
  execMarker(runId: string, attempt: number): string {
    return `${this.prefix}:exec:${runId}:${attempt}`;
  }
  /** How often a run's write hop was enqueued again after its executor was lost before the code started. */
  writeRequeues(runId: string): string {
    return `${this.prefix}:run:${runId}:write-requeues`;
  }
  audit(): string {
    return `${this.prefix}:audit`;
  }
  auditHead(): string {
    return `${this.prefix}:audit:head`;
  }
  /** Fleet-wide semaphore for the write queue's concurrency cap. */
  writeSlots(): string {
    return `${this.prefix}:write:slots`;
  }
  /** Pub/sub channel for approval events (new / decided). */
  approvalChannel(): string {
    return `${this.prefix}:approvals:events`;
  }
}
