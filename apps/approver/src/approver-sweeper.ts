import { isPyfleetError, isTerminalStatus, type RunRecord, type SignedDecision } from "@pyfleet/core";
import type { ApprovalRecord, ApprovalStore } from "@pyfleet/fleet";
import type { Logger } from "pino";

/** What the sweeper needs from the fleet. */
export interface SweeperFleetPort {
  /** Resumes a parked run with a final decision (idempotent: a run already resumed is left alone). */
  resumeRun(runId: string, decision: SignedDecision): Promise<unknown>;
  /** Ends a parked run whose approval expired with status `approval_expired`. */
  expireRun(runId: string, reason: string): Promise<unknown>;
  /** The run record (null when unknown). */
  get(runId: string): Promise<RunRecord | null>;
}

/**
 * Background duties of the approver: end runs whose approval expired, and resume runs whose
 * decision was stored but never delivered (the approver crashed between the vote and the
 * resume). Runs every `intervalMs`; `close()` waits for the round in flight.
 */
export class ApproverSweeper {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly store: ApprovalStore,
    private readonly fleet: SweeperFleetPort,
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.round ??= this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.error({ err }, "approval sweep failed"))
        .finally(() => {
          this.round = null;
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** One pass; returns what it did (tests call it directly). */
  async sweep(): Promise<{ expired: ApprovalRecord[]; resumed: ApprovalRecord[] }> {
    const expired = await this.store.expireDue();
    for (const rec of expired) {
      this.logger.info({ runId: rec.runId, approvalId: rec.id, stage: "approve", attempt: rec.attempt }, "approval expired; ending run");
      await this.fleet.expireRun(rec.runId, `approval ${rec.id} expired at ${rec.expiresAt} without a decision`);
    }
    const resumed: ApprovalRecord[] = [];
    for (const rec of await this.store.listUnresumed()) {
      if (!rec.signedDecision) continue;
      const log = { runId: rec.runId, approvalId: rec.id, stage: "approve", attempt: rec.attempt };
      this.logger.warn(log, "resuming a run whose decision was never delivered");
      try {
        await this.fleet.resumeRun(rec.runId, rec.signedDecision);
      } catch (err) {
        // One record must not hold up the others: a run that ended meanwhile (cancelled) has
        // nothing left to resume; one not parked yet is tried again next round.
        const run = isPyfleetError(err) && err.code === "STEP_NOT_PENDING" ? await this.fleet.get(rec.runId) : null;
        if (run && isTerminalStatus(run.status)) {
          this.logger.warn({ ...log, status: run.status }, "run ended before its decision was delivered; nothing to resume");
          await this.store.markResumed(rec.id);
        } else this.logger.error({ ...log, err }, "could not resume the run; trying again next round");
        continue;
      }
      await this.store.markResumed(rec.id);
      resumed.push(rec);
    }
    return { expired, resumed };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.round;
  }
}
