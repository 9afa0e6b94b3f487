import type { ExecuteInput } from "@pyfleet/core";
import { startJupyterFixture } from "@pyfleet/testing";
import { expect, it } from "vitest";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

it("a kernel that ignores the interrupt is replaced and the run fails as infrastructure", async () => {
  const jupyter = await startJupyterFixture();
  const executor = new ContainerExecutor({
    kernelName: "python3-epics-write",
    mode: "write_access",
    settings: makeServerSettings(jupyter),
    container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1, interrupt_grace_seconds: 1 },
    maxStdoutBytes: 65536,
  });
  const input = (code: string, timeoutMs: number): ExecuteInput => ({
    runId: "r",
    attempt: 1,
    code,
    mode: "write_access",
    context: null,
    workDir: "/x",
    timeoutMs,
    dryRun: false,
  });
  try {
    await executor.pool.fill();
    const started = Date.now();
    const err = await executor.execute(input("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)", 1500)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "PyfleetError", code: "KERNEL_UNAVAILABLE", category: "infrastructure" });
    expect(Date.now() - started).toBeLessThan(4000);
    const next = await executor.execute(input("results = {'ok': True}", 30_000));
    expect(next.results).toEqual({ ok: true });
  } finally {
    await executor.close();
    await jupyter.close();
  }
});
