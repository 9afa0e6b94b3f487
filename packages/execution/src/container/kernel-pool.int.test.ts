import { freePort, type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeServerSettings } from "./jupyter-settings.js";
import { KernelPool, type KernelPoolOptions } from "./kernel-pool.js";

let jupyter: JupyterFixture;
const pools: KernelPool[] = [];
beforeAll(async () => {
  jupyter = await startJupyterFixture();
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await jupyter?.close();
});

function pool(opts: Partial<KernelPoolOptions> = {}): KernelPool {
  const p = new KernelPool({
    kernelName: "python3-epics-write",
    settings: makeServerSettings(jupyter),
    minIdle: 0,
    maxSize: 1,
    reset: "reset",
    idleCullMs: 60_000,
    ...opts,
  });
  pools.push(p);
  return p;
}

async function serverKernels(): Promise<string[]> {
  return (await jupyter.listKernels()).map((k) => k.id);
}

async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("KernelPool", () => {
  it("hands a waiting caller the kernel released by another, and times out when none comes", async () => {
    const p = pool({ acquireTimeoutMs: 400 });
    const first = await p.acquire();
    await expect(p.acquire()).rejects.toMatchObject({ code: "KERNEL_UNAVAILABLE", category: "infrastructure" });
    const waiting = p.acquire();
    p.release(first, true);
    const second = await waiting;
    expect(second.id).toBe(first.id);
    p.release(second, true);
    await p.close();
    expect(await serverKernels()).not.toContain(first.id);
  });

  it("keeps pool_min_idle warm, culls idle kernels above it, and leaves nothing on close", async () => {
    const p = pool({ minIdle: 1, maxSize: 2, idleCullMs: 400 });
    await p.fill();
    expect(p.stats().idle).toBe(1);
    const a = await p.acquire();
    const b = await p.acquire();
    expect(a.id).not.toBe(b.id);
    p.release(a, true);
    p.release(b, true);
    await until(() => p.stats().idle === 2);
    await until(() => p.stats().idle === 1);
    await until(async () => (await serverKernels()).filter((id) => id === a.id || id === b.id).length === 1);
    await p.close();
    await p.close();
    const left = await serverKernels();
    expect(left).not.toContain(a.id);
    expect(left).not.toContain(b.id);
  });

  it("replaces an unhealthy kernel instead of reusing it", async () => {
    const p = pool({ minIdle: 1, maxSize: 1, reset: "restart" });
    const a = await p.acquire();
    p.release(a, false);
    const b = await p.acquire();
    expect(b.id).not.toBe(a.id);
    await until(async () => !(await serverKernels()).includes(a.id));
    p.release(b, true);
    await p.close();
  });

  it("reports an unreachable server as an infrastructure error", async () => {
    const port = await freePort();
    const p = new KernelPool({
      kernelName: "python3-epics-write",
      settings: makeServerSettings({ baseUrl: `http://127.0.0.1:${port}/`, wsUrl: `ws://127.0.0.1:${port}/`, token: "x" }),
      minIdle: 0,
      maxSize: 1,
      reset: "restart",
      idleCullMs: 60_000,
    });
    pools.push(p);
    await expect(p.acquire()).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE", category: "infrastructure" });
  });

  it("reports a wrong token as a configuration error", async () => {
    const p = new KernelPool({
      kernelName: "python3-epics-write",
      settings: makeServerSettings({ baseUrl: jupyter.baseUrl, wsUrl: jupyter.wsUrl, token: "wrong" }),
      minIdle: 0,
      maxSize: 1,
      reset: "restart",
      idleCullMs: 60_000,
    });
    pools.push(p);
    await expect(p.acquire()).rejects.toMatchObject({ code: "BACKEND_MISCONFIGURED", category: "configuration" });
  });
});
