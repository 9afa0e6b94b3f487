import type { ServerConnection } from "@jupyterlab/services";
import type { ExecuteInput, ExecutionOutcome, Executor } from "@pyfleet/core";
import { KernelPool, reportToOutcome, runCode, runInKernel } from "@pyfleet/execution";

/**
 * The original system's behaviour as a baseline: every run starts its own kernel, waits for it,
 * runs, and (unlike the original, which leaked it) shuts it down.
 */
export function freshKernelExecutor(kernelName: string, settings: ServerConnection.ISettings, maxStdoutBytes: number): Executor {
  const pool = new KernelPool({ kernelName, settings, minIdle: 0, maxSize: 1, reset: "restart", idleCullMs: 60_000 });
  return {
    method: "container",
    async execute(input: ExecuteInput): Promise<ExecutionOutcome> {
      const started = performance.now();
      const kernel = await pool.acquire();
      try {
        const code = runCode({ code: input.code, context: input.context, mode: input.mode, dry_run: input.dryRun, max_output_bytes: maxStdoutBytes });
        const run = await runInKernel(kernel.conn, code, { timeoutMs: input.timeoutMs, interruptGraceMs: 3000, maxStdoutBytes });
        if (!run.report) throw new Error(`no report: ${run.kernelError?.evalue ?? "?"}`);
        return reportToOutcome(run.report, { backend: "container-fresh", stdout: run.stdout, stderr: run.stderr, figures: run.figures, durationMs: performance.now() - started });
      } finally {
        pool.release(kernel, false);
      }
    },
    close: () => pool.close(),
  };
}
