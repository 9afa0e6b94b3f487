import type { Kernel, KernelMessage } from "@jupyterlab/services";
import { PyfleetError } from "@pyfleet/core";

/** What ends an execution besides its reply: a dead kernel, a lost websocket, the timeout, a cancel. */
export interface KernelWatchOptions {
  timeoutMs: number;
  /** After an interrupt, how long to wait for the kernel to answer before giving up on it. */
  interruptGraceMs: number;
  signal?: AbortSignal;
}

/** A watch over one execution; `dispose` stops it (timers, signal handlers). */
export interface KernelWatch {
  /** Rejects with the reason the execution cannot finish; never resolves. */
  failure: Promise<never>;
  /** True once the timeout fired (the kernel was interrupted). */
  timedOut(): boolean;
  dispose(): void;
}

/**
 * Watches a kernel during one execution. The kernel dying or restarting, or its websocket
 * dropping, rejects with `KERNEL_DIED`; at `timeoutMs` the kernel is interrupted, and when it does
 * not answer within `interruptGraceMs` the watch rejects with `KERNEL_UNAVAILABLE`; an abort of
 * `signal` rejects with `CANCELLED`.
 */
export function watchKernel(kernel: Kernel.IKernelConnection, opts: KernelWatchOptions): KernelWatch {
  const cleanups: Array<() => void> = [];
  let timedOut = false;
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
  return {
    failure,
    timedOut: () => timedOut,
    dispose: () => {
      for (const c of cleanups) c();
    },
  };
}
