import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { type Figure, PyfleetError } from "@pyfleet/core";
import { type HarnessReport, parseHarnessReport, RESULT_MIME } from "../harness.js";
import { OutputCollector } from "../output-collector.js";

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
  kernelError: { ename: string; evalue: string; traceback: string } | null;
  figures: Figure[];
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  /** The run hit its timeout and the kernel answered the interrupt. */
  timedOut: boolean;
  durationMs: number;
}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * Executes `code` on a connected kernel and gathers the harness's messages: `stream` output
 * (capped), `image/png` figures tagged by the harness, the report of {@link RESULT_MIME}.
 * On timeout the kernel is interrupted; a kernel that then answers yields `timedOut`.
 * @throws PyfleetError `KERNEL_DIED` (kernel died or restarted, websocket lost),
 *   `KERNEL_UNAVAILABLE` (no answer to the interrupt), `CANCELLED` (signal aborted).
 *   After a throw the kernel must not be reused.
 */
export async function runInKernel(kernel: Kernel.IKernelConnection, code: string, opts: KernelRunOptions): Promise<KernelRunResult> {
  const started = performance.now();
  const stdout = new OutputCollector(opts.maxStdoutBytes, (t) => opts.onOutput?.("stdout", t));
  const stderr = new OutputCollector(opts.maxStdoutBytes, (t) => opts.onOutput?.("stderr", t));
  const figures: Figure[] = [];
  let report: HarnessReport | null = null;
  let kernelError: KernelRunResult["kernelError"] = null;
  let timedOut = false;
  const cleanups: Array<() => void> = [];

  const failure = new Promise<never>((_, reject) => {
    const onStatus = (_k: unknown, status: KernelMessage.Status) => {
      if (status === "dead" || status === "autorestarting" || status === "restarting") {
        reject(new PyfleetError("KERNEL_DIED", `kernel ${kernel.name} (${kernel.id}) died during the execution (status ${status})`));
      }
    };
    const onConnection = (_k: unknown, status: Kernel.ConnectionStatus) => {
      if (status !== "connected") {
        reject(new PyfleetError("KERNEL_DIED", `lost the websocket to kernel ${kernel.name} (${kernel.id}) during the execution`));
      }
    };
    kernel.statusChanged.connect(onStatus);
    kernel.connectionStatusChanged.connect(onConnection);
    cleanups.push(() => {
      kernel.statusChanged.disconnect(onStatus);
      kernel.connectionStatusChanged.disconnect(onConnection);
    });
    const timeout = setTimeout(() => {
      timedOut = true;
      kernel.interrupt().catch(() => undefined);
      const grace = setTimeout(
        () =>
          reject(
            new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${kernel.name} did not answer an interrupt within ${opts.interruptGraceMs} ms after the ${opts.timeoutMs} ms timeout; it is replaced`),
          ),
        opts.interruptGraceMs,
      );
      cleanups.push(() => clearTimeout(grace));
    }, opts.timeoutMs);
    cleanups.push(() => clearTimeout(timeout));
    if (opts.signal) {
      const onAbort = () => reject(new PyfleetError("CANCELLED", "the execution was cancelled"));
      if (opts.signal.aborted) onAbort();
      opts.signal.addEventListener("abort", onAbort, { once: true });
      cleanups.push(() => opts.signal?.removeEventListener("abort", onAbort));
    }
  });

  const future = kernel.requestExecute({ code, silent: false, store_history: false, allow_stdin: false, stop_on_error: true }, true);
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type;
    if (type === "stream") {
      const content = msg.content as KernelMessage.IStreamMsg["content"];
      (content.name === "stderr" ? stderr : stdout).pushText(content.text);
    } else if (type === "display_data" || type === "execute_result") {
      const content = msg.content as KernelMessage.IDisplayDataMsg["content"];
      const reported = content.data[RESULT_MIME];
      const figureName = (content.metadata?.pyfleet as { figure?: unknown } | undefined)?.figure;
      if (reported !== undefined) report = parseHarnessReport(reported);
      else if (typeof figureName === "string" && typeof content.data["image/png"] === "string") {
        figures.push({ name: figureName, mime: "image/png", data: content.data["image/png"] });
      }
    } else if (type === "error") {
      const content = msg.content as KernelMessage.IErrorMsg["content"];
      kernelError = { ename: content.ename, evalue: content.evalue, traceback: content.traceback.join("\n").replace(ANSI, "") };
    }
  };
  try {
    await Promise.race([future.done, failure]);
  } catch (err) {
    future.dispose();
    if (err instanceof PyfleetError) throw err;
    throw new PyfleetError("KERNEL_DIED", `kernel ${kernel.name} (${kernel.id}) stopped answering: ${(err as Error).message}`, { cause: err });
  } finally {
    for (const c of cleanups) c();
  }
  const dropped = (report as HarnessReport | null)?.output_dropped;
  stdout.noteDropped(dropped?.stdout ?? 0);
  stderr.noteDropped(dropped?.stderr ?? 0);
  return {
    report,
    kernelError,
    figures,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated || stderr.truncated,
    timedOut,
    durationMs: performance.now() - started,
  };
}
