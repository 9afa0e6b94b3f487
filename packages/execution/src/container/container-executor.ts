import type { ServerConnection } from "@jupyterlab/services";
import type { ExecuteInput, ExecutionMode, ExecutionOutcome, Executor, Logger } from "@pyfleet/core";
import { PyfleetError, silentLogger } from "@pyfleet/core";
import { reportToOutcome, timeoutOutcome } from "../harness.js";
import type { ContainerOptions } from "../options.js";
import { gateManifestFor } from "../sandbox/ca-gate.js";
import { applyGateTruth } from "../sandbox/gate-truth.js";
import { runCode } from "./bootstrap.js";
import { KernelGate } from "./kernel-gate.js";
import { KernelPool } from "./kernel-pool.js";
import { runInKernel } from "./run-in-kernel.js";

export interface ContainerExecutorOptions {
  /** Kernelspec of the mode this executor serves (`python3-epics-readonly` / `-write`). */
  kernelName: string;
  /** The mode the kernel is for; a request for another mode is refused. */
  mode: ExecutionMode;
  settings: ServerConnection.ISettings;
  container: ContainerOptions;
  maxStdoutBytes: number;
  /** Largest `results` (serialized JSON) a run may return (`limits.max_result_bytes`); unset: no cap. */
  maxResultBytes?: number;
  logger?: Logger;
}

/**
 * Runs code on pooled Jupyter kernels of one kernelspec. Results, figures and errors come back
 * over the Jupyter protocol. A kernel that died, lost its websocket or ignored an interrupt is
 * thrown away (infrastructure error) and the pool starts a replacement.
 *
 * Each run drives its kernel's CA gate ({@link KernelGate}): the run's signed manifest is set
 * before the code runs and reset after it, and the outcome is decided from the gate's record
 * ({@link applyGateTruth}), not from the kernel's report. Write kernels are always restarted
 * after a run (whatever `container.reset` says): code of one write run must not live on, in a
 * thread of a reset kernel, into the next run's manifest.
 */
export class ContainerExecutor implements Executor {
  readonly method = "container" as const;
  readonly pool: KernelPool;
  private readonly logger: Logger;
  private warnedNoGate = false;

  constructor(private readonly options: ContainerExecutorOptions) {
    this.logger = options.logger ?? silentLogger();
    const c = options.container;
    this.pool = new KernelPool({
      kernelName: options.kernelName,
      settings: options.settings,
      minIdle: c.pool_min_idle,
      maxSize: c.pool_max_size,
      reset: options.mode === "write_access" ? "restart" : c.reset,
      idleCullMs: c.idle_cull_seconds * 1000,
      logger: this.logger,
    });
    this.pool.warm();
  }

  /** Runs the code on a warm kernel; user-code errors and interrupted timeouts are values. */
  async execute(input: ExecuteInput): Promise<ExecutionOutcome> {
    if (input.mode !== this.options.mode) {
      throw new PyfleetError("BACKEND_MISCONFIGURED", `the ${this.options.kernelName} executor serves ${this.options.mode}, not ${input.mode}`);
    }
    const started = performance.now();
    const kernel = await this.pool.acquire();
    let healthy = false;
    let gate: KernelGate | undefined;
    try {
      gate = await this.beginGate(kernel.id, input);
      const run = await runInKernel(
        kernel.conn,
        runCode({
          code: input.code,
          context: input.context,
          mode: input.mode,
          dry_run: input.dryRun,
          max_output_bytes: this.options.maxStdoutBytes,
          write_policy: input.writePolicy ?? null,
          describe_writes: input.describeWrites ?? false,
        }),
        {
          timeoutMs: input.timeoutMs,
          interruptGraceMs: this.options.container.interrupt_grace_seconds * 1000,
          maxStdoutBytes: this.options.maxStdoutBytes,
          ...(input.onOutput ? { onOutput: input.onOutput } : {}),
          ...(input.signal ? { signal: input.signal } : {}),
        },
      );
      // the gate's record, not the kernel's report, says which writes happened or were refused
      const record = await gate?.end();
      gate = undefined;
      healthy = true;
      const extras = {
        backend: "container",
        stdout: run.stdout,
        stderr: run.stderr,
        stdoutTruncated: run.stdoutTruncated,
        durationMs: performance.now() - started,
        figures: run.figures,
        ...(run.timedOut ? { timedOutAfterMs: input.timeoutMs } : {}),
      };
      if (run.report) {
        const { maxResultBytes } = this.options;
        return applyGateTruth(reportToOutcome(run.report, maxResultBytes === undefined ? extras : { ...extras, maxResultBytes }), record);
      }
      if (run.timedOut) return applyGateTruth(timeoutOutcome({ ...extras, timedOutAfterMs: input.timeoutMs }, run.kernelError?.traceback ?? ""), record);
      healthy = false;
      const why = run.kernelError ? `${run.kernelError.ename}: ${run.kernelError.evalue}` : "no report";
      throw new PyfleetError("INTERNAL", `kernel ${this.options.kernelName} finished without a harness report (${why})`, {
        details: { traceback: run.kernelError?.traceback ?? "", ...(record ? { gate: record } : {}) },
      });
    } catch (err) {
      // what the gate saw before the kernel failed goes to the log (and the kernel is replaced)
      const record = await gate?.end().catch(() => undefined);
      this.logger.warn(
        { runId: input.runId, attempt: input.attempt, kernel: this.options.kernelName, kernelId: kernel.id, err: String(err), ...(record ? { gate: record } : {}) },
        "container execution failed; the kernel is replaced",
      );
      throw err;
    } finally {
      this.pool.release(kernel, healthy);
    }
  }

  /** Sets the run's manifest on the kernel's CA gate; undefined when the kernel has no gate. */
  private async beginGate(kernelId: string, input: ExecuteInput): Promise<KernelGate | undefined> {
    const begun = await KernelGate.begin(this.options.settings, kernelId, gateManifestFor(input.mode, input.writePolicy));
    if (begun instanceof KernelGate) return begun;
    if (!this.warnedNoGate) {
      this.warnedNoGate = true;
      // PYFLEET_KERNEL_SANDBOX=off (the operator's pod is the boundary) or no CA at all
      this.logger.warn({ kernel: this.options.kernelName, reason: begun.none }, "kernels have no CA gate: writes are held only by the in-process guard and the network");
    }
    return undefined;
  }

  /** Shuts every pooled kernel down. Idempotent. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
