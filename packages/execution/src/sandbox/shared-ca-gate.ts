import type { Logger } from "@pyfleet/core";
import { CaGate } from "./ca-gate.js";
import { type SandboxOptions, sandboxHostIds } from "./sandbox-process.js";

/**
 * The one Channel Access gate of an executor, started on first use with the run's interpreter
 * (it needs caproto); a start that failed is forgotten, so the next run tries again.
 */
export class SharedCaGate {
  private gate: Promise<CaGate> | undefined;

  constructor(
    private readonly options: { caUpstreams?: readonly string[] | undefined; sandbox?: SandboxOptions | undefined; logger: Logger },
  ) {}

  /** The gate, or undefined without upstreams (sandboxed runs then have no CA). */
  async get(python: string): Promise<CaGate | undefined> {
    const upstreams = this.options.caUpstreams ?? [];
    if (upstreams.length === 0) return undefined;
    const { sandbox, logger } = this.options;
    this.gate ??= CaGate.start({ python, upstreams, logger, runAs: sandbox ? sandboxHostIds(sandbox) : undefined });
    return this.gate.catch((err: unknown) => {
      this.gate = undefined;
      throw err;
    });
  }

  /** Stops the gate if one was started. Idempotent. */
  async close(): Promise<void> {
    const gate = this.gate;
    this.gate = undefined;
    await gate?.then((g) => g.close(), () => undefined);
  }
}
