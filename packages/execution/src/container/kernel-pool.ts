import { KernelAPI, KernelConnection, type ServerConnection } from "@jupyterlab/services";
import { type Logger, PyfleetError, silentLogger } from "@pyfleet/core";
import { bootstrapCode, RESET_CODE } from "./bootstrap.js";
import { jupyterError } from "./jupyter-settings.js";
import { quietJupyterConsole } from "./quiet-jupyter-console.js";

/** A kernel owned by a pool. */
export interface PooledKernel {
  readonly conn: KernelConnection;
  readonly id: string;
  idleSince: number;
  runs: number;
}

export interface KernelPoolOptions {
  kernelName: string;
  settings: ServerConnection.ISettings;
  minIdle: number;
  maxSize: number;
  /** `restart` (default): a fresh process after each run; `reset`: IPython reset in place. */
  reset: "restart" | "reset";
  idleCullMs: number;
  /** Start (or restart) to ready, including the harness bootstrap. */
  startTimeoutMs?: number;
  /** How long `acquire` waits for a kernel when the pool is at `maxSize`. */
  acquireTimeoutMs?: number;
  logger?: Logger;
}

/** DELETE attempts before a kernel is given up on (logged). */
const SHUTDOWN_ATTEMPTS = 5;

/** How long one kernel_info request may take while a kernel starts before it is sent again. */
const KERNEL_INFO_RETRY_MS = 2000;

interface Waiter {
  resolve: (k: PooledKernel) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Warm kernels of one kernelspec. `acquire` hands out an idle kernel (starting one when none is
 * idle and the pool is below `maxSize`, else waiting); `release` cleans it (restart or reset)
 * off the caller's path and makes it idle again, or replaces it when it is unhealthy. At least
 * `minIdle` kernels are kept ready; idle kernels above that are shut down after `idleCullMs`.
 * `close` shuts every kernel down on the server: nothing leaks.
 *
 * Not built on `generic-pool` (issue 16 asked for it or a reason): its semantics differ where it
 * matters here. (1) A failing `create` is retried in a loop and never rejects `acquire`
 * (coopernurse/node-pool#175, #183, open), so a stopped Jupyter would surface as an acquire
 * timeout instead of at once as BACKEND_UNAVAILABLE / KERNEL_UNAVAILABLE with the cause
 * (lost-server.int.test.ts). (2) Its `min` counts borrowed resources, so `minIdle` warm kernels
 * beside the busy ones cannot be expressed. (3) A released kernel is cleaned (restart = a new
 * process, or an IPython reset) off the caller's path before anyone may take it; generic-pool
 * has no such in-between state, only idle or borrowed. (4) `close` must abort kernel starts in
 * flight and shut busy kernels down, while generic-pool's `drain` waits for every borrowed
 * resource and pending create. Adapting those would leave more code around it than this class.
 */
export class KernelPool {
  private readonly idle: PooledKernel[] = [];
  private readonly busy = new Set<PooledKernel>();
  /** Kernels being started or cleaned: they will become idle. */
  private pending = 0;
  private readonly waiters: Waiter[] = [];
  private readonly shutdowns = new Set<Promise<void>>();
  private readonly culler: NodeJS.Timeout;
  private closed = false;
  /** Aborts kernel starts and cleanings in flight, so `close` never waits out their timeouts. */
  private readonly closing = new AbortController();
  private readonly logger: Logger;
  private lastStartError: unknown;

  constructor(private readonly opts: KernelPoolOptions) {
    quietJupyterConsole();
    this.logger = (opts.logger ?? silentLogger()).child({ kernel: opts.kernelName });
    const every = Math.max(250, Math.min(opts.idleCullMs / 2, 30_000));
    this.culler = setInterval(() => this.cull(), every);
    this.culler.unref();
  }

  /** Kernels alive or on their way (idle + busy + starting/cleaning). */
  get size(): number {
    return this.idle.length + this.busy.size + this.pending;
  }

  /** Counts for metrics and tests. */
  stats(): { idle: number; busy: number; pending: number } {
    return { idle: this.idle.length, busy: this.busy.size, pending: this.pending };
  }

  /** Starts kernels up to `minIdle` in the background. */
  warm(): void {
    this.replenish();
  }

  /** Starts `minIdle` kernels and waits until they are ready (fails if one cannot start). */
  async fill(): Promise<void> {
    const starts: Promise<void>[] = [];
    while (!this.closed && this.idle.length + this.pending < this.opts.minIdle && this.size < this.opts.maxSize) {
      starts.push(this.startInto());
    }
    await Promise.all(starts);
    // kernels started earlier (by warm() or a release) may still be on their way
    const target = Math.min(this.opts.minIdle, this.opts.maxSize);
    while (!this.closed && this.idle.length < target && this.pending > 0) await new Promise((r) => setTimeout(r, 20));
    if (this.idle.length < target && this.lastStartError) throw this.lastStartError;
  }

  /**
   * A ready kernel for one run; give it back with {@link release}.
   * @throws PyfleetError `BACKEND_UNAVAILABLE` / `KERNEL_UNAVAILABLE` / `BACKEND_MISCONFIGURED`.
   */
  async acquire(): Promise<PooledKernel> {
    if (this.closed) throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel pool ${this.opts.kernelName} is closed`);
    for (let ready = this.idle.pop(); ready; ready = this.idle.pop()) {
      if (ready.conn.status === "dead" || ready.conn.connectionStatus !== "connected") {
        this.shutdown(ready);
        continue;
      }
      this.busy.add(ready);
      this.replenish();
      return ready;
    }
    if (this.size < this.opts.maxSize) {
      this.pending++;
      let kernel: PooledKernel;
      try {
        kernel = await this.startKernel();
      } finally {
        this.pending--;
      }
      if (this.closed) {
        this.shutdown(kernel);
        throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel pool ${this.opts.kernelName} is closed`);
      }
      this.busy.add(kernel);
      this.replenish();
      return kernel;
    }
    return new Promise<PooledKernel>((resolve, reject) => {
      const waitMs = this.opts.acquireTimeoutMs ?? 60_000;
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new PyfleetError("KERNEL_UNAVAILABLE", `no ${this.opts.kernelName} kernel free within ${waitMs} ms (pool_max_size ${this.opts.maxSize})`));
        }, waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Gives a kernel back: cleaned for the next run when healthy, replaced otherwise. */
  release(kernel: PooledKernel, healthy: boolean): void {
    if (!this.busy.delete(kernel)) return;
    kernel.runs++;
    if (!healthy || this.closed) {
      this.shutdown(kernel);
      this.replenish();
      return;
    }
    this.pending++;
    this.clean(kernel).then(
      (next) => {
        this.pending--;
        this.offer(next);
      },
      (err: unknown) => {
        this.pending--;
        this.logger.warn({ err: String(err), kernelId: kernel.id }, "kernel could not be cleaned; replacing it");
        this.shutdown(kernel);
        this.replenish();
      },
    );
  }

  /** Shuts every kernel down and waits for it. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closing.abort();
      clearInterval(this.culler);
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new PyfleetError("KERNEL_UNAVAILABLE", `kernel pool ${this.opts.kernelName} closed`));
      }
      for (const k of [...this.idle.splice(0), ...this.busy]) this.shutdown(k);
      this.busy.clear();
    }
    while (this.pending > 0 || this.shutdowns.size > 0) {
      await Promise.allSettled([...this.shutdowns]);
      if (this.pending > 0) await new Promise((r) => setTimeout(r, 20));
    }
  }

  private offer(kernel: PooledKernel): void {
    if (this.closed) {
      this.shutdown(kernel);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      this.busy.add(kernel);
      waiter.resolve(kernel);
      return;
    }
    kernel.idleSince = Date.now();
    this.idle.push(kernel);
  }

  private replenish(): void {
    const target = this.opts.minIdle + this.waiters.length;
    while (!this.closed && this.idle.length + this.pending < target && this.size < this.opts.maxSize) {
      void this.startInto();
    }
  }

  private async startInto(): Promise<void> {
    this.pending++;
    try {
      const kernel = await this.startKernel();
      this.pending--;
      this.offer(kernel);
    } catch (err) {
      this.pending--;
      this.lastStartError = err;
      this.logger.warn({ err: String(err) }, "kernel start failed");
      if (this.waiters.length > 0 && this.size === 0) {
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(err);
        }
      }
    }
  }

  private async startKernel(): Promise<PooledKernel> {
    const { kernelName, settings } = this.opts;
    let model: KernelAPI.IModel;
    try {
      model = await KernelAPI.startNew({ name: kernelName }, settings);
    } catch (err) {
      throw jupyterError(err, `starting kernel ${kernelName}`);
    }
    const conn = new KernelConnection({ model, serverSettings: settings, handleComms: false });
    const kernel: PooledKernel = { conn, id: model.id, idleSince: Date.now(), runs: 0 };
    try {
      await this.withTimeout(this.prepare(conn), `kernel ${kernelName} did not become ready`);
    } catch (err) {
      this.shutdown(kernel);
      throw err instanceof PyfleetError ? err : new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${kernelName} failed to start: ${String(err)}`, { cause: err });
    }
    this.logger.debug({ kernelId: model.id }, "kernel ready");
    return kernel;
  }

  /** Waits for kernel_info and loads the harness. */
  private async prepare(conn: KernelConnection): Promise<void> {
    if (conn.connectionStatus !== "connected") {
      await new Promise<void>((resolve, reject) => {
        const onChange = (_c: unknown, status: string) => {
          if (status === "connecting") return;
          conn.connectionStatusChanged.disconnect(onChange);
          if (status === "connected") resolve();
          else reject(new PyfleetError("KERNEL_UNAVAILABLE", `websocket to kernel ${this.opts.kernelName} failed (${status})`));
        };
        conn.connectionStatusChanged.connect(onChange);
      });
    }
    // a request sent while the kernel's sockets come up can be lost: ask again until it answers
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    for (let answered = false; !answered; ) {
      if (Date.now() > deadline) throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${this.opts.kernelName} never answered kernel_info`);
      let timer: NodeJS.Timeout | undefined;
      answered = await Promise.race([
        conn.requestKernelInfo().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), KERNEL_INFO_RETRY_MS);
        }),
      ]);
      clearTimeout(timer);
      if (conn.isDisposed || conn.connectionStatus === "disconnected") {
        throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${this.opts.kernelName} went away while starting`);
      }
    }
    await this.executeQuiet(conn, bootstrapCode());
  }

  /**
   * Makes a used kernel fit for the next run. `reset` clears it in place; `restart` replaces the
   * process: the old kernel is shut down and a fresh one started (the library's own restart can
   * miss the restarted kernel's first status message and then hold requests forever).
   */
  private async clean(kernel: PooledKernel): Promise<PooledKernel> {
    if (this.opts.reset === "reset") {
      await this.withTimeout(this.executeQuiet(kernel.conn, RESET_CODE), `kernel ${this.opts.kernelName} did not reset`);
      return kernel;
    }
    this.shutdown(kernel);
    return this.startKernel();
  }

  private async executeQuiet(conn: KernelConnection, code: string): Promise<void> {
    const future = conn.requestExecute({ code, silent: true, store_history: false, allow_stdin: false, stop_on_error: true }, true);
    const reply = await future.done;
    if (reply.content.status !== "ok") {
      const c = reply.content as { ename?: string; evalue?: string };
      throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${this.opts.kernelName} setup failed: ${c.ename ?? "error"}: ${c.evalue ?? ""}`);
    }
  }

  /** Races `work` against the start timeout and against `close` (a closing pool stops waiting at once). */
  private async withTimeout<T>(work: Promise<T>, message: string): Promise<T> {
    const ms = this.opts.startTimeoutMs ?? 60_000;
    const signal = this.closing.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PyfleetError("KERNEL_UNAVAILABLE", `${message} within ${ms} ms`)), ms);
          onAbort = () => reject(new PyfleetError("KERNEL_UNAVAILABLE", `kernel pool ${this.opts.kernelName} closed while waiting: ${message}`));
          if (signal.aborted) onAbort();
          else signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  private cull(): void {
    const now = Date.now();
    while (this.idle.length > this.opts.minIdle) {
      const oldest = this.idle[0];
      if (!oldest || now - oldest.idleSince < this.opts.idleCullMs) break;
      this.idle.shift();
      this.logger.debug({ kernelId: oldest.id }, "culling idle kernel");
      this.shutdown(oldest);
    }
  }

  /** Deletes the kernel on the server (tracked so `close` can wait for it). */
  private shutdown(kernel: PooledKernel): void {
    const done = (async () => {
      // disposing while the library reconnects after a server-side auto-restart leaves a
      // rejected promise nobody awaits; let the reconnect settle first
      if (kernel.conn.connectionStatus === "connecting") await settled(kernel.conn, 3000);
      kernel.conn.dispose();
      // a kernel the server is auto-restarting (it died) can refuse the first DELETE
      for (let attempt = 1; attempt <= SHUTDOWN_ATTEMPTS; attempt++) {
        try {
          await KernelAPI.shutdownKernel(kernel.id, this.opts.settings);
          return;
        } catch (err) {
          if ((err as { response?: { status?: number } }).response?.status === 404) return;
          if (attempt === SHUTDOWN_ATTEMPTS) {
            this.logger.warn({ err: String(err), kernelId: kernel.id }, "kernel shutdown failed");
            return;
          }
          await new Promise((r) => setTimeout(r, 300 * attempt));
        }
      }
    })();
    this.shutdowns.add(done);
    void done.finally(() => this.shutdowns.delete(done));
  }
}

/** Resolves when the connection leaves `connecting` (or after `ms`). */
function settled(conn: KernelConnection, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      conn.connectionStatusChanged.disconnect(onChange);
      resolve();
    }
    function onChange(_c: unknown, status: string) {
      if (status !== "connecting") done();
    }
    conn.connectionStatusChanged.connect(onChange);
  });
}
