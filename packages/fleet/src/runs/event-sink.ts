import type { Clock, EventSink, Logger } from "@pyfleet/core";
import type { NewRunEvent, RunEventLog } from "./event-log.js";

/**
 * The EventSink handed to the pipeline. Events of one run are written in emission order (one
 * promise chain per run); `code_chunk` events are merged for `batchMs` so streaming a reply does
 * not cost one XADD per token. Events emitted while the run's previous write is in flight are
 * written together in one round trip (a pipeline of XADDs, still in emission order).
 */
export class BatchingEventSink implements EventSink {
  private readonly chains = new Map<string, Promise<void>>();
  /** The batch of each run whose write has not started yet: new events of the run join it. */
  private readonly batches = new Map<string, Batch>();
  private readonly pending = new Map<string, { event: NewRunEvent; text: string; timer: NodeJS.Timeout }>();

  constructor(
    private readonly log: RunEventLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly batchMs = 100,
  ) {}

  emit(event: NewRunEvent): Promise<void> {
    if (event.type === "finished" && event.stage === "finalize") {
      // The fleet emits the run's `finished` event itself, after the run record is final, so
      // a client that sees `finished` can read the final record; finalize's summary is a `result`.
      return this.emit({ ...event, type: "result" });
    }
    if (event.type === "code_chunk") {
      const text = typeof event.data.text === "string" ? event.data.text : "";
      const p = this.pending.get(event.runId);
      if (p) p.text += text;
      else {
        const timer = setTimeout(() => void this.flushChunks(event.runId), this.batchMs);
        this.pending.set(event.runId, { event, text, timer });
      }
      return Promise.resolve();
    }
    this.flushChunks(event.runId);
    const batch = this.batchOf(event.runId);
    batch.events.push(event);
    return batch.done;
  }

  /**
   * Resolves once the run's events emitted so far were issued on the connection (not answered):
   * a command issued after that reaches Redis after them.
   */
  issued(runId: string): Promise<void> {
    return this.batches.get(runId)?.issued ?? Promise.resolve();
  }

  /**
   * Resolves once every event of the run emitted so far (buffered chunks included) was issued on
   * the connection: an event appended by another command issued after that (a record patch that
   * carries its status event) lands after them in the run's stream.
   */
  settled(runId: string): Promise<void> {
    this.flushChunks(runId);
    return this.issued(runId);
  }

  /** Writes buffered chunks of every run and waits until all queued writes are done. */
  async flush(): Promise<void> {
    for (const runId of [...this.pending.keys()]) this.flushChunks(runId);
    await Promise.all(this.chains.values());
  }

  private flushChunks(runId: string): void {
    const p = this.pending.get(runId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(runId);
    const batch = this.batchOf(runId);
    batch.events.push({ ...p.event, data: { ...p.event.data, text: p.text } });
  }

  /** The run's batch whose write has not started, opened (and chained after the run's previous write) when there is none. */
  private batchOf(runId: string): Batch {
    const open = this.batches.get(runId);
    if (open) return open;
    let markIssued = () => {};
    const batch: Batch = { events: [], done: Promise.resolve(), issued: new Promise((resolve) => (markIssued = resolve)) };
    const prev = this.chains.get(runId) ?? Promise.resolve();
    const next = prev
      .then(() => {
        if (this.batches.get(runId) === batch) this.batches.delete(runId);
        const written = this.log.appendMany(batch.events, this.clock.now());
        markIssued();
        return written;
      })
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err, runId, types: batch.events.map((e) => e.type) }, "run events not written"),
      );
    batch.done = next;
    this.batches.set(runId, batch);
    this.chains.set(runId, next);
    void next.then(() => {
      if (this.chains.get(runId) === next) this.chains.delete(runId);
    });
    return batch;
  }
}

/** Events of one run written together, and what their write resolves. */
interface Batch {
  events: NewRunEvent[];
  /** Resolves when the batch is written (failures are logged, not rejected). */
  done: Promise<void>;
  /** Resolves when the batch's commands were issued on the connection. */
  issued: Promise<void>;
}
