import { KernelAPI, KernelConnection } from "@jupyterlab/services";
import { type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeServerSettings } from "./jupyter-settings.js";

let jupyter: JupyterFixture;
beforeAll(async () => {
  // The project's config with the cull clock shortened: 2 s without activity, checked every second.
  jupyter = await startJupyterFixture({ args: ["--MappingKernelManager.cull_idle_timeout=2", "--MappingKernelManager.cull_interval=1"] });
});
afterAll(async () => {
  await jupyter?.close();
});

it("culls a busy kernel nobody is connected to (its executor died), and keeps a connected one", async () => {
  const settings = makeServerSettings(jupyter);
  const start = async () => {
    const model = await KernelAPI.startNew({ name: "python3-epics-write" }, settings);
    const conn = new KernelConnection({ model, serverSettings: settings, handleComms: false });
    await expect.poll(() => conn.connectionStatus, { timeout: 30_000 }).toBe("connected");
    await conn.requestKernelInfo();
    void conn.requestExecute({ code: "import time\ntime.sleep(120)" }).done.catch(() => undefined);
    await expect.poll(() => conn.status, { timeout: 10_000 }).toBe("busy");
    return { id: model.id, conn };
  };
  const orphan = await start();
  const owned = await start();
  // The orphan's executor is gone: its websocket closes, nobody shuts the kernel down.
  orphan.conn.dispose();
  await expect.poll(async () => (await jupyter.listKernels()).map((k) => k.id), { timeout: 15_000, interval: 500 }).not.toContain(orphan.id);
  // a kernel its executor is still connected to keeps running its code, however long it is quiet
  expect((await jupyter.listKernels()).find((k) => k.id === owned.id)).toMatchObject({ connections: 1 });
  expect(owned.conn.status).toBe("busy");
  owned.conn.dispose();
  await KernelAPI.shutdownKernel(owned.id, settings);
}, 60_000);
