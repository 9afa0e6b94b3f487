import { spawnWorker, startTestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { startJupyterFixture } from "@pyfleet/testing";
import { describe, expect, it } from "vitest";

describe("an executor on Jupyter kernels", () => {
  it("warms its kernel pool at start, reports it in /metrics and /readyz, and runs on it", async () => {
    const jupyter = await startJupyterFixture();
    const t = await startTestFleet({
      tag: "pool",
      stages: ["analyze"],
      env: { PYFLEET_EXECUTION_METHOD: "container", JUPYTER_HOST: jupyter.host, JUPYTER_PORT: String(jupyter.port), JUPYTER_TOKEN: jupyter.token },
    });
    const { fleet, env } = t;
    const w = await spawnWorker(["--stage", "execute", "--mode", "read_only"], env);
    try {
      const metrics = () => fetch(`http://127.0.0.1:${w.metricsPort}/metrics`).then((r) => r.text());
      await expect.poll(metrics, { timeout: 30_000, interval: 250 }).toMatch(/pyfleet_kernel_pool\{kernel="python3-epics-readonly",state="idle"\} 1/);
      expect((await fetch(`http://127.0.0.1:${w.metricsPort}/readyz`)).status).toBe(200);
      const run = await fleet.submit({ user_query: "q", task_objective: "kernel run", code: "import os\nresults = {'pid': os.getpid()}" });
      const rec = await waitForStatus((id) => fleet.get(id), run.runId, ["completed", "failed"], 60_000);
      expect(rec.status).toBe("completed");
      expect(((await fleet.details(run.runId))?.final?.result?.results.pid as number) > 0).toBe(true);
      await jupyter.close();
      await expect.poll(async () => (await fetch(`http://127.0.0.1:${w.metricsPort}/readyz`)).status, { timeout: 10_000 }).toBe(503);
      // Its kernels died with the server: no graceful pool shutdown to wait for.
      await w.stop("SIGKILL");
    } finally {
      await w.stop();
      await t.cleanup();
      await jupyter.close();
    }
  }, 120_000);
});
