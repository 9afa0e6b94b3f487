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
  private readonly batches = new Map<string, { events: NewRunEvent[]; done: Promise<void> }>();
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
    return this.enqueue(event);
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
    void this.enqueue({ ...p.event, data: { ...p.event.data, text: p.text } });
  }

  private enqueue(event: NewRunEvent): Promise<void> {
    const open = this.batches.get(event.runId);
    if (open) {
      open.events.push(event);
      return open.done;
    }
    const events = [event];
    const prev = this.chains.get(event.runId) ?? Promise.resolve();
    const next = prev
      .then(() => {
        if (this.batches.get(event.runId)?.events === events) this.batches.delete(event.runId);
        return this.log.appendMany(events, this.clock.now());
      })
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err, runId: event.runId, types: events.map((e) => e.type) }, "run events not written"),
      );
    this.batches.set(event.runId, { events, done: next });
    this.chains.set(event.runId, next);
    void next.then(() => {
      if (this.chains.get(event.runId) === next) this.chains.delete(event.runId);
    });
    return next;
  }
}
