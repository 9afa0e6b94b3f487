import type { Socket } from "node:net";
import type { ChildRoute, ChildStreamKind } from "./child-hub.js";

/** How a forked child ended, as its parent saw it. */
export interface ChildExit {
  code: number | null;
  signal: number | null;
}

/** The byte a child sends after its report once it is done (`FINISHED_MARK` in the fork server). */
const FINISHED_MARK = 0;
/** The byte a child sends right before it runs the code (`STARTED_MARK` in the fork server). */
const STARTED_MARK = 6;

/** Where a run wants the child's output. */
export interface ChildSink {
  onData(kind: "out" | "err", chunk: Buffer): void;
}

/**
 * One forked child as the executor sees it: its three connections (job/report, stdout, stderr)
 * as they arrive on the hub, and its exit as the parent reports it. A child is forked ahead of
 * its run (a spare): it connects, then waits for its job; {@link start} hands it one.
 */
export class ForkedChild implements ChildRoute {
  /** Resolves when the parent has reaped it (rejects with `KERNEL_DIED` when the parent died). */
  readonly exited: Promise<ChildExit>;
  /** Resolves when all three connections are there (never rejects; see {@link exited}). */
  readonly connected: Promise<void>;
  /**
   * Resolves when the job connection ended after the finish mark: the code, its threads and the
   * output are done and only the child's exit is left (never rejects; may never resolve).
   */
  readonly finished: Promise<void>;
  private readonly kinds = new Set<ChildStreamKind>();
  private ctl: Socket | undefined;
  private sink: ChildSink | undefined;
  private readonly early: Array<["out" | "err", Buffer]> = [];
  private readonly report: Buffer[] = [];
  private readonly ended = new Set<"ctl" | "out" | "err">();
  private markConnected: () => void = () => undefined;
  private markFinished: () => void = () => undefined;
  private endWaiters: Array<() => void> = [];
  private started = false;
  private ranCode = false;

  constructor(
    readonly id: string,
    exited: Promise<ChildExit>,
  ) {
    this.exited = exited;
    // a child that died before its job must not leave an unhandled rejection behind
    exited.catch(() => undefined);
    this.connected = new Promise((resolve) => {
      this.markConnected = resolve;
    });
    this.finished = new Promise((resolve) => {
      this.markFinished = resolve;
    });
  }

  /** True once a run took it. */
  get taken(): boolean {
    return this.started;
  }

  /**
   * True once the child sent its start mark: it is about to run (or ran) the code. A child that
   * ended without it never ran any of it, so its job may go to another child.
   */
  get codeStarted(): boolean {
    return this.ranCode;
  }

  /** A spare whose job connection ended before it got a job: it died (another run may have killed it). */
  get lost(): boolean {
    return !this.started && this.ended.has("ctl");
  }

  /** Sends the job and routes output to `sink` from now on. */
  start(job: Buffer, sink: ChildSink): void {
    this.started = true;
    this.sink = sink;
    for (const [kind, chunk] of this.early.splice(0)) sink.onData(kind, chunk);
    // one writev: the child's first read gets the whole job, not the length line alone
    this.ctl?.cork();
    this.ctl?.write(`${job.length}\n`);
    this.ctl?.write(job);
    this.ctl?.uncork();
  }

  /** The bytes received on the job connection after the start mark (without the finish mark). */
  reportBytes(): Buffer | null {
    const bytes = Buffer.concat(this.report);
    const end = bytes.at(-1) === FINISHED_MARK ? bytes.length - 1 : bytes.length;
    return end > 0 ? bytes.subarray(0, end) : null;
  }

  /** Which connections arrived. */
  get connections(): ReadonlySet<ChildStreamKind> {
    return this.kinds;
  }

  /** Resolves when every connection that arrived has ended, or after `ms`. */
  async drained(ms: number): Promise<void> {
    if (this.allEnded()) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.endWaiters.push(resolve);
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }

  /** Closes the job connection of a child that never got a job: it exits. */
  dismiss(): void {
    this.ctl?.destroy();
  }

  // --- ChildRoute (called by the hub)

  onOpen(kind: ChildStreamKind): void {
    this.kinds.add(kind);
    if (this.kinds.size === 3) this.markConnected();
  }

  onControl(socket: Socket, first: Buffer): void {
    this.ctl = socket;
    if (first.length > 0) this.onReport(first);
    socket.on("data", (b: Buffer) => this.onReport(b));
    // the child closes its side after the report (the hub allows half-open connections)
    socket.once("end", () => {
      if (this.started && this.report.at(-1)?.at(-1) === FINISHED_MARK) this.markFinished();
      this.onEnd("ctl");
      socket.end();
    });
    socket.once("close", () => this.onEnd("ctl"));
  }

  private onReport(chunk: Buffer): void {
    // the start mark is the first byte after the job; a child sends nothing before its job
    if (!this.ranCode && this.started && chunk[0] === STARTED_MARK) {
      this.ranCode = true;
      if (chunk.length > 1) this.report.push(chunk.subarray(1));
      return;
    }
    this.report.push(chunk);
  }

  onData(kind: "out" | "err", chunk: Buffer): void {
    if (this.sink) this.sink.onData(kind, chunk);
    else this.early.push([kind, chunk]);
  }

  onEnd(kind: "ctl" | "out" | "err"): void {
    this.ended.add(kind);
    if (this.allEnded()) for (const resolve of this.endWaiters.splice(0)) resolve();
  }

  private allEnded(): boolean {
    for (const kind of this.kinds) if (!this.ended.has(kind)) return false;
    return true;
  }
}
