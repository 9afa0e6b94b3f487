import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecuteInput, isPyfleetError } from "@pyfleet/core";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalExecutor } from "../local/local-executor.js";
import { resolveExecutionOptions } from "../options.js";
import { containerSpec, INPUT_DIR, inputArchive, newReportMarker } from "./container-spec.js";
import { DockerExecutor } from "./docker-executor.js";
import { ensureDockerSandbox, SANDBOX_SETUP_TIMEOUT_MS } from "@pyfleet/testing";

const MEMORY_MB = 256;
const options = resolveExecutionOptions({ docker: { memory_mb: MEMORY_MB, pids_limit: 64 }, limits: { max_stdout_bytes: 64 * 1024 } });

let dockerHost: string;
let docker: DockerExecutor;
let local: LocalExecutor;
let workDir: string;

beforeAll(async () => {
  ({ dockerHost } = await ensureDockerSandbox());
  // a secret in the worker's environment must never reach user code
  process.env.OPENAI_API_KEY = "sk-test-must-not-leak";
  docker = await DockerExecutor.create({ dockerHost, options });
  local = new LocalExecutor({ local: options.execution.local, maxStdoutBytes: options.limits.max_stdout_bytes });
  workDir = await mkdtemp(join(tmpdir(), "pyfleet-docker-"));
}, SANDBOX_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await docker?.close();
  await local?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function input(code: string, over: Partial<ExecuteInput> = {}): ExecuteInput {
  return {
    runId: "docker-int",
    attempt: 1,
    code,
    mode: "read_only",
    context: { beam: { current: 1.5 } },
    workDir,
    timeoutMs: 30_000,
    dryRun: false,
    ...over,
  };
}

async function errorOf(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isPyfleetError(err)) throw new Error(`expected a PyfleetError, got ${String(err)}`);
  return err;
}

const SAME_SNIPPET = `
import datetime, math
import numpy as np
import matplotlib.pyplot as plt
x = np.linspace(0, 1, 5)
print("mean", x.mean(), "ünïcødé ✓")
fig, ax = plt.subplots()
ax.plot(x, x ** 2)
plt.figure()
results = {"mean": float(x.mean()), "arr": x, "when": datetime.datetime(2026, 1, 2, 3, 4, 5), "s": {3, 1, 2},
           "c": 1 + 2j, "nan": math.nan, "ctx": context.beam.current, "text": "héllo"}
`;

describe("DockerExecutor against a real Docker engine", () => {
  it("gives the same results, figures and stdout as the local backend", async () => {
    const [d, l] = [await docker.execute(input(SAME_SNIPPET)), await local.execute(input(SAME_SNIPPET))];
    expect(d.error).toBeUndefined();
    expect(d.backend).toBe("docker");
    expect(d.results).toEqual(l.results);
    expect(d.results).toMatchObject({ mean: 0.5, s: [1, 2, 3], c: { real: 1, imag: 2 }, nan: null, ctx: 1.5, when: "2026-01-02T03:04:05" });
    expect(d.stdout).toBe(l.stdout);
    expect(d.stdout).toBe("mean 0.5 ünïcødé ✓\n");
    expect(d.stderr).toBe(l.stderr);
    expect(d.figures.map((f) => f.name)).toEqual(l.figures.map((f) => f.name));
    expect(d.figures).toHaveLength(2);
    expect(Buffer.from(d.figures[0]?.data ?? "", "base64").subarray(1, 4).toString()).toBe("PNG");
  });

  it("reports a traceback without harness frames, like local", async () => {
    const code = "def f():\n    return 1 / 0\nf()";
    const [d, l] = [await docker.execute(input(code)), await local.execute(input(code))];
    expect(d.error).toEqual(l.error);
    expect(d.error).toMatchObject({ ename: "ZeroDivisionError", category: "code" });
    expect(d.error?.traceback).toContain('File "code.py", line 2, in f');
    expect(d.error?.traceback).not.toContain("pyfleet_harness");
  });

  it("copies the files the code leaves in its work dir to the attempt folder, like local", async () => {
    const attemptDir = join(workDir, "attempt-files");
    const code = [
      "import os",
      "open('data.csv', 'w').write('a,b\\n1,2\\n')",
      "os.makedirs('sub', exist_ok=True)",
      "open('sub/note.txt', 'w').write('ünï')",
      "os.symlink('/etc/passwd', 'link')",
      "results = {'cwd': os.getcwd()}",
    ].join("\n");
    const out = await docker.execute(input(code, { workDir: attemptDir }));
    expect(out.results).toEqual({ cwd: "/work" });
    expect(await readFile(join(attemptDir, "data.csv"), "utf8")).toBe("a,b\n1,2\n");
    expect(await readFile(join(attemptDir, "sub", "note.txt"), "utf8")).toBe("ünï");
    expect((await readdir(attemptDir)).sort()).toEqual(["data.csv", "sub"]);
    expect(out.warnings).toEqual([]);
  });

  it("still reports when the code fills /tmp and its work dir", async () => {
    const fill = "def fill(d):\n    try:\n        with open(d + '/big', 'wb') as f:\n            while True:\n                f.write(b'x' * 1048576)\n    except OSError as e:\n        return e.errno\n";
    // tmpfs pages count against the memory limit: small folders keep this a disk-full test
    const small = await DockerExecutor.create({ dockerHost, options, workDirMb: 24, tmpMb: 16, copyOutBytes: 1024 * 1024 });
    const out = await small.execute(input(`${fill}results = {'tmp': fill('/tmp'), 'work': fill('.')}`, { workDir: join(workDir, "fill") }));
    await small.close();
    expect(out.results).toEqual({ tmp: 28, work: 28 });
    expect(out.warnings.join(" ")).toMatch(/not copied out/);
  });

  it("stops code at the timeout and removes the container", async () => {
    const started = performance.now();
    const out = await docker.execute(input("import time\nprint('start', flush=True)\ntime.sleep(60)", { timeoutMs: 2000 }));
    expect(performance.now() - started).toBeLessThan(4000);
    expect(out.error).toMatchObject({ ename: "ExecutionTimeout", category: "code" });
    expect(out.stdout).toBe("start\n");
    await docker.settled();
    const client = new Docker({ socketPath: dockerHost.replace("unix://", "") });
    const left = await client.listContainers({ all: true, filters: { label: ["org.pyfleet.run_id=docker-int"] } });
    expect(left).toEqual([]);
  });

  it("a sandbox nobody watches (its executor died) kills itself at its deadline", async () => {
    const client = new Docker({ socketPath: dockerHost.replace("unix://", "") });
    const spec = containerSpec(
      { runId: "docker-orphan", attempt: 1, mode: "read_only", dryRun: false, context: null },
      options.docker,
      { workDirMb: 16, tmpMb: 16, copyOutBytes: 1024, reportMb: 4 },
      newReportMarker(),
      "gone",
      2,
    );
    const container = await client.createContainer(spec);
    try {
      await container.putArchive(await inputArchive({ code: "import time\ntime.sleep(120)", context: null }), { path: INPUT_DIR });
      const started = performance.now();
      await container.start();
      const waited = (await container.wait()) as { StatusCode: number };
      expect(waited.StatusCode).toBe(137);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await container.remove({ force: true });
    }
  });

  it("kills the container when the run is cancelled", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const started = performance.now();
    const err = await errorOf(docker.execute(input("import time\ntime.sleep(30)", { signal: ac.signal })));
    expect(err.code).toBe("CANCELLED");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("turns a memory bomb into a MEMORY_LIMIT policy error naming the limit", async () => {
    const err = await errorOf(docker.execute(input("blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))")));
    expect(err.code).toBe("MEMORY_LIMIT");
    expect(err.category).toBe("policy");
    expect(err.message).toContain(`${MEMORY_MB} MB`);
  });

  it("runs with no network, a read-only root, no capabilities, a non-root user and no secrets", async () => {
    const code = `
import os, socket
def attempt(addr):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(addr)
        return "connected"
    except OSError as e:
        return type(e).__name__
def can_write(path):
    try:
        open(path, "w").close()
        return True
    except OSError:
        return False
status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
results = {
    "net": attempt(("1.1.1.1", 80)), "interfaces": sorted(os.listdir("/sys/class/net")),
    "uid": os.getuid(), "root_writable": can_write("/usr/pyfleet-probe"), "work_writable": can_write("probe.txt"),
    "inputs_writable": can_write("/pyfleet/x"), "cap_eff": status["CapEff"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
    "openai": os.environ.get("OPENAI_API_KEY"), "secret_env": sorted(k for k in os.environ if "KEY" in k or "TOKEN" in k),
}
`;
    const out = await docker.execute(input(code));
    expect(out.error).toBeUndefined();
    expect(out.results).toEqual({
      net: "OSError",
      interfaces: ["lo"],
      uid: 65534,
      root_writable: false,
      work_writable: true,
      inputs_writable: false,
      cap_eff: "0000000000000000",
      no_new_privs: "1",
      openai: null,
      secret_env: [],
    });
  });

  it("refuses EPICS writes in read-only mode (pyepics really imported), also through aliases", async () => {
    for (const code of [
      "import epics\nepics.caput('X:Y', 1)",
      "import epics\nepics.PV('X:Y').put(1)",
      "import epics as e\nfrom epics import caput as c\nc('X:Y', 1)",
    ]) {
      const out = await docker.execute(input(code));
      expect(out.error, code).toMatchObject({ ename: "PermissionError", category: "policy" });
      expect(out.error?.evalue).toContain("X:Y");
    }
  });

  it("records writes in order in a dry run instead of performing them", async () => {
    const code = "import epics as e\ne.caput('A:1', 5)\ne.PV('B:2').put(7)\nresults = {'done': True}";
    const out = await docker.execute(input(code, { dryRun: true }));
    expect(out.error).toBeUndefined();
    expect(out.results).toEqual({ done: true });
    expect(out.recordedWrites).toEqual([
      { pv: "A:1", value: 5, api: "epics.caput", order: 1 },
      { pv: "B:2", value: 7, api: "epics.PV.put", order: 2 },
    ]);
  });

  it("caps a flood of stdout with a marker and still reads the report", async () => {
    const out = await docker.execute(input("import sys\nfor _ in range(20000):\n    sys.stdout.write('x' * 1000 + '\\n')\nresults = {'ok': 1}"));
    expect(out.results).toEqual({ ok: 1 });
    expect(out.stdoutTruncated).toBe(true);
    expect(out.stdout.length).toBeLessThan(70 * 1024);
    expect(out.stdout).toMatch(/output truncated at 65536 bytes/);
  });

  it("names the build command when the image is missing and the start command when the engine is unreachable", async () => {
    const missing = await errorOf(DockerExecutor.create({ dockerHost, options: resolveExecutionOptions({ docker: { image: "pyfleet-sandbox:absent" } }) }));
    expect(missing.code).toBe("IMAGE_MISSING");
    expect(missing.category).toBe("configuration");
    expect(missing.message).toContain("bash scripts/build-sandbox-image.sh");
    const down = await errorOf(DockerExecutor.create({ dockerHost: `unix://${join(workDir, "no-engine.sock")}`, options }));
    expect(down.code).toBe("BACKEND_UNAVAILABLE");
    expect(down.category).toBe("infrastructure");
    expect(down.message).toContain("bash scripts/dockerd.sh start");
  });
});
