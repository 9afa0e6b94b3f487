import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalExecutor } from "../local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";

// What the local backend's bubblewrap sandbox takes away, seen from inside (the code reports what
// it could do) and checked from outside where the code could lie (files, listeners, the host).
let root: string;
let executor: LocalExecutor;
let listener: Server;
let listenerPort = 0;
let connections = 0;
const CANARY = `canary-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pyfleet-sandbox-test-"));
  await writeFile(join(root, "secret.txt"), CANARY);
  listener = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  listenerPort = (listener.address() as { port: number }).port;
  executor = new LocalExecutor({
    local: { ...DEFAULT_EXECUTION_OPTIONS.execution.local, env_allowlist: ["PATH", "LANG", "HOME"] },
    sandbox: { ...DEFAULT_EXECUTION_OPTIONS.execution.sandbox, max_processes: 16, max_file_mb: 4, tmp_mb: 8, work_mb: 10 },
    maxStdoutBytes: 64 * 1024,
    env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", HOME: root, PYFLEET_CANARY: CANARY },
  });
});
afterAll(async () => {
  await executor.close();
  listener.close();
  await rm(root, { recursive: true, force: true });
});

let n = 0;
function input(code: string, extra: Partial<ExecuteInput> = {}): ExecuteInput {
  return { runId: "sbx", attempt: 1, code, mode: "read_only", context: null, workDir: join(root, `w${n++}`), timeoutMs: 20_000, dryRun: false, ...extra };
}

async function results(code: string): Promise<Record<string, unknown>> {
  const outcome = await executor.execute(input(code));
  expect(outcome.error, outcome.stderr).toBeUndefined();
  return outcome.results ?? {};
}

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("sandbox disk-cap test skipped: mounting the work folder's tmpfs needs root");

describe("the local backend's bubblewrap sandbox", () => {
  it.skipIf(!isRoot)("caps the working folder's total size (work_mb), not only each file (max_file_mb)", async () => {
    // 8 files of 3 MiB: each under the 4 MiB file-size limit, together far over the 10 MiB folder
    const r = await results(
      "import errno\nwritten, err = 0, None\nfor i in range(8):\n    try:\n        with open(f'f{i}', 'wb') as fh:\n            fh.write(b'x' * (3 * 2**20))\n        written += 1\n    except OSError as e:\n        err = errno.errorcode.get(e.errno)\n        break\nresults = {'written': written, 'err': err}",
    );
    expect(r).toEqual({ written: 3, err: "ENOSPC" });
  });

  it("runs as an unprivileged uid with no capabilities, as pid 1 of a namespace that shows nothing else", async () => {
    const r = await results(
      "import os\nstatus = open('/proc/self/status').read()\ncap = [l for l in status.splitlines() if l.startswith('CapEff')][0].split()[1]\nresults = {'uid': os.getuid(), 'pid': os.getpid(), 'procs': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), 'cap': cap}",
    );
    expect(r).toMatchObject({ uid: 65534, pid: 1, cap: "0000000000000000" });
    expect(r.procs).toEqual([1]);
  });

  it("has no network but loopback: host listeners, Redis and DNS are unreachable", async () => {
    const r = await results(
      `import socket\nout = {'ifaces': [n for _, n in socket.if_nameindex()]}\nfor name, port in [('listener', ${listenerPort}), ('redis', 6379)]:\n    try:\n        socket.create_connection(('127.0.0.1', port), timeout=2).close(); out[name] = 'connected'\n    except OSError as e:\n        out[name] = type(e).__name__\ntry:\n    socket.getaddrinfo('example.com', 80); out['dns'] = 'resolved'\nexcept OSError as e:\n    out['dns'] = type(e).__name__\nresults = out`,
    );
    expect(r.ifaces).toEqual(["lo"]);
    expect(r.listener).toBe("ConnectionRefusedError");
    expect(r.redis).toBe("ConnectionRefusedError");
    expect(r.dns).not.toBe("resolved");
    expect(connections).toBe(0);
  });

  it("sees no repository, home, secrets, other runs' folders or executor environment", async () => {
    const r = await results(
      `import os\ndef probe(p):\n    try:\n        return sorted(os.listdir(p)) if os.path.isdir(p) else open(p).read()[:40]\n    except OSError as e:\n        return type(e).__name__\nresults = {p: probe(p) for p in ['/', '/etc/shadow', '/root', ${JSON.stringify(process.cwd())}, ${JSON.stringify(join(root, "secret.txt"))}, ${JSON.stringify(root)}]}\nresults['env'] = dict(os.environ)`,
    );
    expect(r["/"]).toEqual(["bin", "dev", "etc", "lib", "lib64", "opt", "proc", "run", "sbin", "tmp", "usr"]);
    expect(r["/etc/shadow"]).toBe("FileNotFoundError");
    expect(r["/root"]).toBe("FileNotFoundError");
    expect(r[process.cwd()]).toBe("FileNotFoundError");
    expect(r[join(root, "secret.txt")]).toBe("FileNotFoundError");
    // only this attempt's own folder is visible under the artifacts root
    expect((r[root] as string[]).length).toBe(1);
    expect(JSON.stringify(r.env)).not.toContain(CANARY);
  });

  it("caps processes, file size and /tmp; the host keeps no runaway process", async () => {
    // The children exec `sleep` with a duration no other process uses, so the host can find them
    // by command line (other tests' sandboxes run as the same uid at the same time).
    const mark = `30.${Date.now() % 1_000_000}${Math.floor(Math.random() * 1000)}`;
    const r = await results(
      `import os, time\nforked = 0\ntry:\n    for _ in range(100):\n        if os.fork() == 0:\n            os.execv('/usr/bin/sleep', ['sleep', '${mark}']); os._exit(0)\n        forked += 1\nexcept OSError:\n    pass\ndef fill(path, mb):\n    try:\n        with open(path, 'wb') as f:\n            for _ in range(mb): f.write(b'x' * 2**20)\n        return 'written'\n    except OSError as e:\n        return type(e).__name__\nresults = {'forked': forked, 'big': fill('big.bin', 8), 'tmp': fill('/tmp/t1', 6) + fill('/tmp/t2', 6)}`,
    );
    expect(r.forked).toBeLessThan(16);
    expect(r.big).toBe("OSError"); // EFBIG at 4 MiB
    expect(r.tmp).toContain("OSError"); // ENOSPC: the 8 MiB tmpfs is full
    await new Promise((res) => setTimeout(res, 200));
    const sleepers = [];
    for (const p of (await readdir("/proc")).filter((x) => /^\d+$/.test(x))) {
      const status = await readFile(`/proc/${p}/status`, "utf8").catch(() => "");
      const cmdline = await readFile(`/proc/${p}/cmdline`, "utf8").catch(() => "");
      if (cmdline.includes(mark) && !/State:\s+Z/.test(status)) sleepers.push(p);
    }
    expect(sleepers).toEqual([]);
  });

  it("keeps regular files the code wrote and drops symlinks to host files", async () => {
    const inp = input("import os\nopen('ok.txt', 'w').write('fine')\nos.symlink('/etc/passwd', 'link')\nos.mkdir('sub')\nopen('sub/a', 'w').write('a')\nresults = {}");
    const outcome = await executor.execute(inp);
    expect(outcome.error).toBeUndefined();
    expect((await readdir(inp.workDir)).sort()).toEqual(["ok.txt", "sub"]);
    expect(await readFile(join(inp.workDir, "sub", "a"), "utf8")).toBe("a");
  });

  it("os.kill(os.getppid(), 9) and kill(-1) hit nothing outside the sandbox", async () => {
    const outcome = await executor.execute(input("import os, signal\nos.kill(os.getppid(), 9) if os.getppid() else None\ntry:\n    os.kill(-1, 9)\nexcept OSError:\n    pass\nresults = {'ppid': os.getppid()}"));
    // kill(-1) took the harness itself (pid 1 may signal its own namespace): the executor lives on
    expect(outcome.results === null || outcome.results?.ppid === 0).toBe(true);
    const again = await executor.execute(input("results = {'alive': True}"));
    expect(again.results).toEqual({ alive: true });
  });
});
