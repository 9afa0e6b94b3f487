import type { ExecuteInput } from "@pyfleet/core";
import { startJupyterFixture } from "@pyfleet/testing";
import { expect, it } from "vitest";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

it("a Jupyter server that goes away mid-run is an infrastructure error, not a code error", async () => {
  const jupyter = await startJupyterFixture();
  const executor = new ContainerExecutor({
    kernelName: "python3-epics-readonly",
    mode: "read_only",
    settings: makeServerSettings(jupyter),
    container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1 },
    maxStdoutBytes: 65536,
  });
  try {
    await executor.pool.fill();
    const input: ExecuteInput = { runId: "r", attempt: 1, code: "import time\ntime.sleep(30)", mode: "read_only", context: null, workDir: "/x", timeoutMs: 60_000, dryRun: false };
    const running = executor.execute(input).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    await jupyter.close();
    const err = await running;
    expect(err).toMatchObject({ name: "PyfleetError", code: "KERNEL_DIED", category: "infrastructure", retryable: true });
    expect(Date.now() - started).toBeLessThan(15_000);
    // a worker draining on SIGTERM closes its executors: a dead server must not hold that up
    // (the pool was starting a replacement kernel whose websocket can never connect)
    const closing = Date.now();
    await executor.close();
    expect(Date.now() - closing).toBeLessThan(10_000);
  } finally {
    await executor.close();
    await jupyter.close();
  }
});
