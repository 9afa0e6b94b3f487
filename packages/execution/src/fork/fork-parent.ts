import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { Logger } from "@pyfleet/core";
import { PyfleetError } from "@pyfleet/core";
import type { ChildHub } from "./child-hub.js";
import { type ChildExit, ForkedChild } from "./forked-child.js";
import type { ForkParentLauncher, ForkParentSpec } from "./spawn-fork-parent.js";

/** What the parent said when its imports were done. */
export interface ForkParentReady {
  pid: number;
  python: string;
  preloaded: string[];
  missing: string[];
  threads: number;
  /**
   * Pages of the parent a figure run writes, found at start-up by a probe child (0 without
   * matplotlib). A spare forked after a heavy run copies them before its job arrives
   * (`harness/pyfleet_prefault.py`).
   */
  prefaultPages: number;
}

interface Waiter {
  resolve: (exit: ChildExit) => void;
  reject: (err: PyfleetError) => void;
}

const STDERR_TAIL = 4000;

/**
 * One warm fork-server parent (`pyfleet_forkserver.py`): started through a launcher, asked to
 * fork, signal and reap children over its stdin/stdout. It never runs user code. It keeps
 * `spares` children forked ahead of demand (connected, waiting for a job), so a run does not wait
 * for `fork()`; a taken spare is replaced once its run's child is reaped, so forking never
 * competes with a run in flight unless runs come back to back. When it dies, every child still waited for fails with `KERNEL_DIED` (its children
 * die with it: PDEATHSIG).
 */
export class ForkParent {
  /** Runs handed a child by this parent (counts toward its replacement). */
  runs = 0;
  /** Children forked and not yet reaped (spares included). */
  inFlight = 0;
  /** Runs that chose this parent and have not ended (see {@link claim}). */
  private claims = 0;
  private readonly waiters = new Map<string, Waiter>();
  /** Children whose group the parent was asked to kill after their finish mark, until it answers. */
  private readonly finishing = new Map<string, () => void>();
  private readonly spareChildren: ForkedChild[] = [];
  private hub: ChildHub | undefined;
  private spares = 0;
  private stderrTail = "";
  private exited = false;
  private retiring = false;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly logger: Logger,
    readonly info: ForkParentReady,
    private readonly onDeath: (parent: ForkParent) => void,
  ) {
    this.exitPromise = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /**
   * Starts a parent and waits until it has imported its modules.
   * @throws PyfleetError `BACKEND_UNAVAILABLE` when it cannot start or dies before it is ready
   *   (its stderr in the message), or is not ready within `readyTimeoutMs`.
   */
  static async start(opts: {
    spec: ForkParentSpec;
    launch: ForkParentLauncher;
    logger: Logger;
    readyTimeoutMs: number;
    onDeath: (parent: ForkParent) => void;
  }): Promise<ForkParent> {
    const child = opts.launch(opts.spec);
    let tail = "";
    const onStderr = (b: Buffer) => {
      tail = (tail + b.toString("utf8")).slice(-STDERR_TAIL);
    };
    child.stderr?.on("data", onStderr);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Number.POSITIVE_INFINITY });
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = await new Promise<ForkParentReady>((resolve, reject) => {
        const fail = (why: string) =>
          reject(new PyfleetError("BACKEND_UNAVAILABLE", `the fork server (${opts.spec.python}) ${why}: ${tail.trim().slice(-1500) || "(no stderr)"}`));
        timer = setTimeout(() => {
          killGroup(child);
          fail(`was not ready within ${opts.readyTimeoutMs} ms`);
        }, opts.readyTimeoutMs);
        child.once("error", (err) => fail(`could not start (${err.message})`));
        child.once("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
        lines.once("line", (line) => {
          try {
            const msg = JSON.parse(line) as { ev?: string; prefault_pages?: number } & Omit<ForkParentReady, "prefaultPages">;
            if (msg.ev !== "ready") throw new Error(`unexpected first message ${line.slice(0, 200)}`);
            const { pid, python, preloaded, missing, threads } = msg;
            resolve({ pid, python, preloaded, missing, threads, prefaultPages: msg.prefault_pages ?? 0 });
          } catch (err) {
            killGroup(child);
            fail(`sent something else than ready (${(err as Error).message})`);
          }
        });
      });
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      child.stderr?.off("data", onStderr);
      const parent = new ForkParent(child, opts.logger, ready, opts.onDeath);
      parent.stderrTail = tail;
      parent.attach(lines);
      return parent;
    } catch (err) {
      lines.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Host pid of the launched process (the interpreter, or bubblewrap around it). */
  get hostPid(): number | undefined {
    return this.child.pid;
  }

  /** True until the process exits. */
  get alive(): boolean {
    return !this.exited;
  }

  /** Keeps `spares` children forked ahead of demand, connected to `hub`. */
  keepSpares(hub: ChildHub, spares: number): void {
    this.hub = hub;
    this.spares = spares;
    this.topUp();
  }

  /**
   * A fresh child for one run, connected and waiting for its job (a spare when there is one).
   * The next spare is forked when this child has been reaped.
   * @throws PyfleetError `KERNEL_DIED` when the parent dies, or a child forked for this run dies
   *   before it is connected.
   */
  async take(): Promise<ForkedChild> {
    for (;;) {
      if (this.exited || !this.hub) throw this.deathError();
      // a spare can be gone (a run of this parent may signal its siblings): never hand a dead one out
      let spare = this.spareChildren.shift();
      while (spare?.lost) spare = this.spareChildren.shift();
      const child = spare ?? this.forkChild(this.hub);
      const exit = await Promise.race([child.connected.then(() => undefined), child.exited]);
      // a spare killed while it was still connecting is not "lost" yet (no job connection to end):
      // it is not this run's failure, the next spare or a fresh fork serves the run
      if (exit !== undefined && spare) continue;
      this.runs += 1;
      // The spare's successor is forked once this run's child is reaped, not now: forked now, it
      // competes with the run for the cores and keeps the single-threaded parent inside fork()
      // when the run's child exits, so the exit status (which ends the run) waits for it.
      child.exited.then(
        () => this.topUp(),
        () => undefined,
      );
      if (exit === undefined) return child;
      throw new PyfleetError("KERNEL_DIED", `a forked child exited (${exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`}) before it connected`, {
        details: { backend: "local", isolation: "fork" },
      });
    }
  }

  /** Sends a signal (2 = SIGINT, 9 = SIGKILL) to the process group of a child. */
  signal(childId: string, signal: number): void {
    if (!this.exited && this.waiters.has(childId)) this.send({ op: "signal", id: childId, signal });
  }

  /**
   * A child sent its finish mark: the parent kills its process group now (as it does when it
   * reaps a child), so the run can end without waiting for the child's exit. Resolves once the
   * parent has sent the kill, or the child was reaped, or the parent is gone (its children die
   * with it).
   */
  finish(childId: string): Promise<void> {
    if (this.exited || !this.waiters.has(childId)) return Promise.resolve();
    return new Promise((resolve) => {
      this.finishing.set(childId, resolve);
      this.send({ op: "finish", id: childId });
    });
  }

  /**
   * A run chose this parent: it stays able to fork until {@link release}, even if it is retired
   * meanwhile (a run that picked it before its successor was ready may reach {@link take} after).
   */
  claim(): void {
    this.claims += 1;
  }

  /** The run that {@link claim}ed this parent has ended. */
  release(): void {
    this.claims -= 1;
    this.endIfDone();
  }

  /** No more new runs: spares are dismissed and the parent exits once its last child is reaped and no claim is left. Idempotent. */
  retire(): void {
    this.retiring = true;
    for (const spare of this.spareChildren.splice(0)) {
      this.hub?.release(spare.id);
      spare.dismiss();
    }
    this.endIfDone();
  }

  /** A retired parent's stdin ends (it exits) when no child and no claimed run is left. */
  private endIfDone(): void {
    if (this.retiring && this.inFlight === 0 && this.claims === 0) this.child.stdin?.end();
  }

  private topUp(): void {
    while (this.hub && !this.exited && !this.retiring && this.spareChildren.length < this.spares) {
      this.spareChildren.push(this.forkChild(this.hub));
    }
  }

  private forkChild(hub: ChildHub): ForkedChild {
    const id = randomBytes(9).toString("base64url");
    this.inFlight += 1;
    const exited = new Promise<ChildExit>((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    const child = new ForkedChild(id, exited);
    hub.register(id, child);
    // a spare nobody took is forgotten when it ends; a taken child is released by its run
    exited.then(
      () => this.forget(child),
      () => this.forget(child),
    );
    this.send({ op: "fork", id });
    return child;
  }

  private forget(child: ForkedChild): void {
    const at = this.spareChildren.indexOf(child);
    if (at >= 0) this.spareChildren.splice(at, 1);
    if (!child.taken) this.hub?.release(child.id);
  }

  /** Kills the parent (and so, through PDEATHSIG, its children) and waits for it. Idempotent. */
  async kill(): Promise<void> {
    killGroup(this.child);
    await this.exitPromise;
  }

  private send(msg: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(msg)}\n`);
  }

  private attach(lines: ReturnType<typeof createInterface>): void {
    this.child.stdin?.on("error", () => undefined);
    this.child.stderr?.on("data", (b: Buffer) => {
      const text = b.toString("utf8");
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      this.logger.warn({ forkServerPid: this.info.pid, stderr: text.slice(0, 2000) }, "fork server stderr");
    });
    lines.on("line", (line) => this.onLine(line));
    this.child.once("exit", (code, signal) => {
      this.exited = true;
      const err = this.deathError(signal ?? `code ${code}`);
      for (const waiter of this.waiters.values()) waiter.reject(err);
      this.waiters.clear();
      for (const done of this.finishing.values()) done();
      this.finishing.clear();
      this.inFlight = 0;
      if (!this.retiring) {
        this.logger.warn({ forkServerPid: this.info.pid, code, signal, stderr: this.stderrTail.slice(-1000) }, "fork server parent died");
      }
      this.onDeath(this);
    });
  }

  private onLine(line: string): void {
    let msg: { ev?: string; id?: string; code?: number | null; signal?: number | null; error?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      this.logger.warn({ line: line.slice(0, 200) }, "fork server sent a line that is not JSON");
      return;
    }
    if (msg.id !== undefined) {
      this.finishing.get(msg.id)?.();
      this.finishing.delete(msg.id);
    }
    if (msg.ev === "finished") return;
    const waiter = msg.id === undefined ? undefined : this.waiters.get(msg.id);
    if (!waiter || msg.id === undefined) return;
    this.waiters.delete(msg.id);
    this.inFlight -= 1;
    if (msg.ev === "exit") waiter.resolve({ code: msg.code ?? null, signal: msg.signal ?? null });
    else waiter.reject(new PyfleetError("KERNEL_DIED", `the fork server could not fork: ${msg.error ?? "unknown error"}`));
    this.endIfDone();
  }

  private deathError(how = "exit"): PyfleetError {
    return new PyfleetError("KERNEL_DIED", `the fork server parent (pid ${this.info.pid}) died (${how}) while its child was running`, {
      details: { backend: "local", isolation: "fork" },
    });
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone already
    }
  }
}
