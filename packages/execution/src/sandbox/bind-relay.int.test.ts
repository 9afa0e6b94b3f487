import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dirname } from "node:path";
import { type ExecuteInput, type Executor, projectPython } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ForkServerExecutor } from "../fork/fork-server-executor.js";
import { LocalExecutor } from "../local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { RelayFolder, reachableBy } from "./bind-relay.js";
import { CaGate } from "./ca-gate.js";

const root = process.getuid?.() === 0;
const { local, sandbox } = DEFAULT_EXECUTION_OPTIONS.execution;
const NOBODY = { uid: 65534, gid: 65534 };

// A checkout the sandbox's uid cannot reach: its venv lies below a 0700 folder (as under /root, or
// in a folder `mktemp -d` made). bwrap, started as that uid, could not open it as a bind source.
describe.skipIf(!root || !existsSync(sandbox.bwrap_path))("sandboxed runs from a checkout below a 0700 folder", () => {
  let home: string;
  let venv: string;
  const executors: Executor[] = [];
  let n = 0;
  const input = (code: string): ExecuteInput => ({
    runId: "relay",
    attempt: 1,
    code,
    mode: "read_only",
    context: null,
    workDir: join(home, "runs", `a${n++}`),
    timeoutMs: 20_000,
    dryRun: false,
  });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "pyfleet-private-home-"));
    await chmod(home, 0o700);
    // a venv of the system interpreter (what `python3 -m venv` writes), its packages those of the
    // project venv (a symlink: reachable on the host, for the gate; absent inside a sandbox)
    venv = join(home, "checkout", ".venv");
    await mkdir(join(venv, "bin"), { recursive: true });
    await symlink(await realpath("/usr/bin/python3"), join(venv, "bin", "python"));
    await symlink(join(await realpath(dirname(dirname(projectPython()))), "lib"), join(venv, "lib"));
    await writeFile(join(venv, "pyvenv.cfg"), "home = /usr/bin\ninclude-system-site-packages = false\n");
  });
  afterAll(async () => {
    await Promise.all(executors.map((e) => e.close()));
    await rm(home, { recursive: true, force: true });
  });

  it("sees that the sandbox's uid cannot reach the venv, and can reach /usr", async () => {
    expect(await reachableBy(venv, NOBODY)).toBe(false);
    expect(await reachableBy("/usr/bin/python3", NOBODY)).toBe(true);
  });

  it("runs on the fork server as the sandbox's uid, with the venv shown inside, and mounts nothing on the host", async () => {
    const fork = new ForkServerExecutor({
      mode: "read_only",
      local: { ...local, python_env_path: venv },
      forkServer: { ...local.fork_server, preload: [] },
      sandbox,
      maxStdoutBytes: 1 << 16,
    });
    executors.push(fork);
    const outcome = await fork.execute(input("import os, sys\nresults = {'uid': os.getuid(), 'prefix': sys.prefix}"));
    expect(outcome.error, outcome.stderr).toBeUndefined();
    expect(outcome.results).toEqual({ uid: 65534, prefix: "/opt/pyfleet/venv" });
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain("pyfleet-relay-");
    // the parent was started through the relay: its folder is named on the command line
    const command = await readFile(`/proc/${fork.parentInfo?.hostPid}/cmdline`, "utf8");
    const relayDir = /\/[^\0]*\/pyfleet-relay-[^/\0]+/.exec(command)?.[0];
    expect(relayDir && existsSync(relayDir)).toBe(true);
    await fork.close();
    expect(existsSync(relayDir as string)).toBe(false);
    await fork.close();
  });

  it("runs on the local backend (an interpreter per run) the same way", async () => {
    const spawned = new LocalExecutor({ local: { ...local, python_env_path: venv }, sandbox, maxStdoutBytes: 1 << 16 });
    executors.push(spawned);
    const outcome = await spawned.execute(input("import os, sys\nresults = {'uid': os.getuid(), 'prefix': sys.prefix}"));
    expect(outcome.error, outcome.stderr).toBeUndefined();
    expect(outcome.results).toEqual({ uid: 65534, prefix: "/opt/pyfleet/venv" });
  });

  it("starts the CA gate (as the sandbox's uid, outside any sandbox) from that venv", async () => {
    const gate = await CaGate.start({ python: join(venv, "bin", "python"), upstreams: ["127.0.0.1:5064"], runAs: NOBODY });
    await gate.close();
  });
});

describe("RelayFolder", () => {
  it("makes one entry per source and removes them and itself at remove(), idempotently", async () => {
    const base = await mkdtemp(join(tmpdir(), "pyfleet-relay-src-"));
    const folder = new RelayFolder();
    try {
      await writeFile(join(base, "file"), "x");
      const dir = await folder.entry(base);
      const file = await folder.entry(join(base, "file"));
      expect(await folder.entry(base)).toBe(dir);
      const root = folder.path as string;
      expect(existsSync(dir) && existsSync(file)).toBe(true);
      await folder.remove();
      expect(existsSync(root)).toBe(false);
      await folder.remove();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it("never removes recursively: an entry that is not empty (mounted on) stays with its content", async () => {
    const base = await mkdtemp(join(tmpdir(), "pyfleet-relay-src-"));
    const folder = new RelayFolder();
    let dir = "";
    try {
      dir = await folder.entry(base);
      // stands in for a mount on the entry: removing through it would delete the relayed source
      await writeFile(join(dir, "content"), "kept");
      await folder.remove();
      expect(await readFile(join(dir, "content"), "utf8")).toBe("kept");
    } finally {
      await rm(base, { recursive: true, force: true });
      if (dir) await rm(dirname(dir), { recursive: true, force: true });
    }
  });
});
