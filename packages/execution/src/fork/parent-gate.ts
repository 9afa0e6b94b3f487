import type { GateRecord } from "@pyfleet/core";
import type { CaGate, GateManifest, GateSession } from "../sandbox/ca-gate.js";

/** One run's claim on its parent's gate session; hand it back to {@link ParentGate.end}. */
export interface GateTicket {
  readonly record: GateRecord;
}

/**
 * The CA gate of one fork-server parent (docs/security.md §3): every run forked from the parent
 * shares its network namespace, so the gate serves that namespace with one session for the
 * parent's life, and the executor splits what the session saw into per-run records.
 *
 * - Read-only parents: the session refuses every write whatever the manifest; runs go on
 *   concurrently, and a write the gate refused while several runs were in flight is charged to
 *   each of them (the gate cannot tell which forked child sent it). Never too few: a refused
 *   write always fails the run that made it.
 * - Write parents: the session's manifest is the run's, so write runs on one parent are
 *   serialised; each run's record is exactly what the gate saw during it.
 */
export class ParentGate {
  private readonly open = new Set<{ record: GateRecord }>();
  private queue: Promise<void> = Promise.resolve();
  private detaching = false;
  private detached: Promise<void> | undefined;

  constructor(
    private readonly gate: CaGate,
    private readonly session: GateSession,
    private readonly mode: "read_only" | "write_access",
  ) {}

  /** Starts a run: in write mode waits for the previous write run, then sets its manifest. */
  async begin(manifest: GateManifest): Promise<GateTicket & { release: () => void }> {
    let release: () => void = () => undefined;
    if (this.mode === "write_access") {
      const previous = this.queue;
      this.queue = new Promise<void>((resolve) => {
        release = resolve;
      });
      await previous;
      try {
        await this.gate.setPolicy(this.session, manifest);
      } catch (err) {
        release();
        throw err;
      }
    }
    const ticket = { record: { writes: [], refused: [] } as GateRecord, release };
    this.open.add(ticket);
    return ticket;
  }

  /** Ends a run: what the gate saw since the last run ended goes to every run still in flight. */
  async end(ticket: GateTicket & { release: () => void }): Promise<GateRecord> {
    try {
      const seen = await this.gate.take(this.session);
      for (const t of this.open) {
        t.record.writes.push(...seen.writes);
        t.record.refused.push(...seen.refused);
      }
      return ticket.record;
    } finally {
      this.open.delete(ticket);
      if (this.mode === "write_access") await this.gate.setPolicy(this.session, {}).catch(() => undefined);
      ticket.release();
      if (this.detaching && this.open.size === 0) void this.detach();
    }
  }

  /**
   * The parent is gone or retired: ends the session once the runs in flight took their records.
   * Idempotent.
   */
  detach(): Promise<void> {
    this.detaching = true;
    if (this.open.size > 0) return Promise.resolve();
    this.detached ??= this.gate.detach(this.session).then(
      () => undefined,
      () => undefined,
    );
    return this.detached;
  }
}
