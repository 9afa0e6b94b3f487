import type { ExecutionGuard, PerformedWrite, RedisKeys } from "@pyfleet/core";
import type { Redis } from "ioredis";
import type { AuditLog } from "../audit/audit-log.js";

/** What the marker holds (JSON in `<prefix>:exec:<run>:<attempt>`). */
export interface ExecutionMarker {
  runId: string;
  attempt: number;
  codeHash: string;
  workerId: string;
  startedAt: string;
  outcome: "running" | "succeeded" | "failed";
  finishedAt?: string;
}

/** Reads the execution markers (`<prefix>:exec:<run>:<attempt>`); only the guard below writes them. */
export class ExecutionMarkers {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The marker of a run attempt, or null. */
  async read(runId: string, attempt: number): Promise<ExecutionMarker | null> {
    const raw = await this.redis.get(this.keys.execMarker(runId, attempt));
    return raw ? (JSON.parse(raw) as ExecutionMarker) : null;
  }

  /** Whether the attempt's write code may have started (its marker is set). */
  async started(runId: string, attempt: number): Promise<boolean> {
    return (await this.redis.exists(this.keys.execMarker(runId, attempt))) === 1;
  }
}

/**
 * At-most-once guard for write executions (ARCHITECTURE §6): `SET NX` of the marker before the
 * first line runs. A redelivered job (crash mid-run, stalled job) finds the marker and must not
 * run the code again. Markers outlive the run record (`ttlSeconds`, default 30 days) so a late
 * redelivery is still refused.
 */
export class RedisExecutionGuard implements ExecutionGuard {
  private readonly markers: ExecutionMarkers;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly audit: AuditLog,
    private readonly workerId: string,
    private readonly ttlSeconds = 30 * 24 * 3600,
  ) {
    this.markers = new ExecutionMarkers(redis, keys);
  }

  async begin(input: { runId: string; attempt: number; codeHash: string }): Promise<"acquired" | "already_started"> {
    const marker: ExecutionMarker = {
      ...input,
      workerId: this.workerId,
      startedAt: new Date().toISOString(),
      outcome: "running",
    };
    const key = this.keys.execMarker(input.runId, input.attempt);
    const ok = await this.redis.set(key, JSON.stringify(marker), "EX", this.ttlSeconds, "NX");
    if (ok === "OK") {
      await this.audit.append("write.started", { ...input, workerId: this.workerId });
      return "acquired";
    }
    const existing = await this.read(input.runId, input.attempt);
    await this.audit.append("write.duplicate_refused", { ...input, workerId: this.workerId, marker: existing });
    return "already_started";
  }

  /**
   * Records the true outcome: one `write.refused_unapproved_pv` entry per write refused because
   * its PV was not in the signed manifest, then `write.finished` with the outcome, every real
   * write (PV, value, status, error, read-back, time) and the error that failed the run.
   */
  async end(input: {
    runId: string;
    attempt: number;
    outcome: "succeeded" | "failed";
    writes?: PerformedWrite[];
    error?: { code: string; message: string } | null;
  }): Promise<void> {
    const key = this.keys.execMarker(input.runId, input.attempt);
    const current = await this.read(input.runId, input.attempt);
    if (current) {
      const next: ExecutionMarker = { ...current, outcome: input.outcome, finishedAt: new Date().toISOString() };
      await this.redis.set(key, JSON.stringify(next), "KEEPTTL", "XX");
    }
    const writes = input.writes ?? [];
    for (const w of writes) {
      if (w.status === "refused" && w.code === "WRITE_NOT_IN_MANIFEST") {
        await this.audit.append("write.refused_unapproved_pv", {
          runId: input.runId,
          attempt: input.attempt,
          pv: w.pv,
          value: w.value,
          api: w.api,
          reason: w.error,
          workerId: this.workerId,
        });
      }
    }
    await this.audit.append("write.finished", {
      runId: input.runId,
      attempt: input.attempt,
      outcome: input.outcome,
      writes,
      error: input.error ?? null,
      workerId: this.workerId,
    });
  }

  /** The marker of a run attempt, or null. */
  read(runId: string, attempt: number): Promise<ExecutionMarker | null> {
    return this.markers.read(runId, attempt);
  }
}
