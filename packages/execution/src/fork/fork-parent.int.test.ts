import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveInterpreter } from "../local/interpreter.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ChildHub } from "./child-hub.js";
import { ForkParent } from "./fork-parent.js";
import { runForkedChild } from "./forked-run.js";
import { FORKSERVER_PATH, spawnForkParent } from "./spawn-fork-parent.js";

const { local } = DEFAULT_EXECUTION_OPTIONS.execution;

describe("ForkParent retired while a run that chose it prepares", () => {
  let root: string;
  let hub: ChildHub;
  let parent: ForkParent;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "pyfleet-fork-parent-"));
    const socketPath = join(root, "children.sock");
    hub = await ChildHub.listen(socketPath);
    const args = [FORKSERVER_PATH, "--mode", "read_only", "--socket", socketPath, "--parent-pid", String(process.pid), "--preload", ""];
    const spec = { python: await resolveInterpreter(local.python_env_path), args, env: { PATH: "/usr/bin:/bin" }, cwd: root, socketPath };
    parent = await ForkParent.start({ spec, launch: spawnForkParent, logger: silentLogger(), readyTimeoutMs: 30_000, onDeath: () => undefined });
    parent.keepSpares(hub, 1);
  });
  afterAll(async () => {
    await parent.kill();
    await hub.close();
    await rm(root, { recursive: true, force: true });
  });

  // The executor picks a parent, then awaits its folders; a successor that becomes ready meanwhile
  // retires it. Without the claim the retired parent ended its stdin once its spare was reaped and
  // exited, and the run that had picked it failed as KERNEL_DIED.
  it("still forks for a run that claimed it, and exits once that run released it", async () => {
    parent.claim();
    parent.retire();
    await expect.poll(() => parent.inFlight, { timeout: 10_000 }).toBe(0);
    // the dismissed spare is reaped: give an ended stdin time to end the parent
    await new Promise((r) => setTimeout(r, 300));
    expect(parent.alive).toBe(true);
    const outcome = await runForkedChild({
      parent,
      hub,
      input: { runId: "claimed", attempt: 1, code: "results = {'x': 1}", mode: "read_only", context: null, workDir: root, timeoutMs: 20_000, dryRun: false },
      workDir: root,
      maxStdoutBytes: 1 << 16,
      closing: new AbortController().signal,
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.results).toEqual({ x: 1 });
    parent.release();
    await expect.poll(() => parent.alive, { timeout: 10_000 }).toBe(false);
  });
});
