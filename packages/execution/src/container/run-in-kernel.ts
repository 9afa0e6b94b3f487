import type { Kernel } from "@jupyterlab/services";
import { type Figure, PyfleetError } from "@pyfleet/core";
import type { HarnessReport } from "../harness.js";
import { IOPubCollector, type KernelError } from "./iopub-collector.js";
import { watchKernel } from "./kernel-watch.js";

export interface KernelRunOptions {
  timeoutMs: number;
  /** After an interrupt, how long to wait for the kernel to answer before giving up on it. */
  interruptGraceMs: number;
  maxStdoutBytes: number;
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  signal?: AbortSignal;
}

export interface KernelRunResult {
  /** The harness report; null when the kernel raised outside the harness (`kernelError`). */
  report: HarnessReport | null;
  kernelError: KernelError | null;
  figures: Figure[];
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  /** The run hit its timeout and the kernel answered the interrupt. */
  timedOut: boolean;
  durationMs: number;
}

/**
 * Executes `code` on a connected kernel and gathers the harness's messages ({@link IOPubCollector}:
 * capped output, tagged figures, the report) while {@link watchKernel} watches for a dead kernel,
 * the timeout and a cancel. On timeout the kernel is interrupted; a kernel that then answers
 * yields `timedOut`.
 * @throws PyfleetError `KERNEL_DIED` (kernel died or restarted, websocket lost),
 *   `KERNEL_UNAVAILABLE` (no answer to the interrupt), `CANCELLED` (signal aborted).
 *   After a throw the kernel must not be reused.
 */
export async function runInKernel(kernel: Kernel.IKernelConnection, code: string, opts: KernelRunOptions): Promise<KernelRunResult> {
  const started = performance.now();
  const out = new IOPubCollector(opts.maxStdoutBytes, opts.onOutput);
  const watch = watchKernel(kernel, opts);
  const future = kernel.requestExecute({ code, silent: false, store_history: false, allow_stdin: false, stop_on_error: true }, true);
  future.onIOPub = (msg) => out.handle(msg);
  try {
    await Promise.race([future.done, watch.failure]);
  } catch (err) {
    future.dispose();
    if (err instanceof PyfleetError) throw err;
    throw new PyfleetError("KERNEL_DIED", `kernel ${kernel.name} (${kernel.id}) stopped answering: ${(err as Error).message}`, { cause: err });
  } finally {
    watch.dispose();
  }
  out.noteHarnessDrops();
  return {
    report: out.report,
    kernelError: out.kernelError,
    figures: out.figures,
    stdout: out.stdout.text(),
    stderr: out.stderr.text(),
    stdoutTruncated: out.stdout.truncated || out.stderr.truncated,
    timedOut: watch.timedOut(),
    durationMs: performance.now() - started,
  };
}
