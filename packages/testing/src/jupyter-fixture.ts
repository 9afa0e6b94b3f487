import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_VENV_HINT, projectPython } from "@pyfleet/core";

/** The repo's `jupyter/` folder: kernelspecs, kernel launcher and `jupyter_server_config.py`. */
export const REPO_JUPYTER_DIR: string = fileURLToPath(new URL("../../../jupyter/", import.meta.url));

/** A running Jupyter server with the project's kernelspecs. */
export interface JupyterFixture {
  host: string;
  port: number;
  token: string;
  /** `http://host:port/` */
  baseUrl: string;
  /** `ws://host:port/` */
  wsUrl: string;
  /**
   * The kernels the server runs (`GET /api/kernels`). Retries a non-2xx answer a few times, because
   * jupyter_server 1.23 answers 500 when it lists while a kernel is starting (the kernel is
   * registered before its `last_activity` is set, and the listing reads it).
   * @throws Error with the status, body and the server's recent output when it keeps failing.
   */
  listKernels(): Promise<Array<{ id: string; name: string }>>;
  /**
   * SIGKILLs the server's process group (a crash, no shutdown); {@link close} still cleans up. The
   * kernels run in sessions of their own: they die through the launcher's parent-death signal.
   */
  kill(): Promise<void>;
  /** Stops the server and its kernels (kills the process group) and removes its folders. Idempotent. */
  close(): Promise<void>;
}

export interface JupyterFixtureOptions {
  /** Python with jupyter_server; default the project venv's (`projectPython()`; runs `-m jupyter_server`). */
  python?: string;
  /** Extra environment for the server (and so its kernels). Nothing else is inherited but PATH/LANG. */
  env?: Record<string, string>;
  /** How long to wait for `/api/status`; default 30 s. */
  startTimeoutMs?: number;
  /** Extra server options after the project's config, e.g. `--MappingKernelManager.cull_interval=1`. */
  args?: string[];
  /** Port and token of a server that replaces a stopped one (a restart); default a free port and a random token. */
  port?: number;
  token?: string;
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts `<venv>/bin/python -m jupyter_server` (kernels run on the same interpreter: the kernelspecs say `python`) on a free loopback port with a random token and the project's
 * kernelspecs (`JUPYTER_PATH` = the repo's `jupyter/`, config/runtime/data dirs in a temp
 * folder), and waits until `/api/status` answers.
 * @throws Error with the server's output when it does not come up.
 */
export async function startJupyterFixture(options: JupyterFixtureOptions = {}): Promise<JupyterFixture> {
  const python = options.python ?? projectPython();
  if (!existsSync(python)) throw new Error(`${python} not found: ${BUILD_VENV_HINT}`);
  const root = await mkdtemp(join(tmpdir(), "pyfleet-jupyter-"));
  const dirs = { config: join(root, "config"), runtime: join(root, "runtime"), data: join(root, "data"), work: join(root, "work") };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
  const token = options.token ?? randomBytes(16).toString("hex");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      python,
      [
        "-m",
        "jupyter_server",
        `--config=${join(REPO_JUPYTER_DIR, "jupyter_server_config.py")}`,
        "--ip=127.0.0.1",
        `--port=${port}`,
        "--no-browser",
        "--allow-root",
        `--ServerApp.token=${token}`,
        "--ServerApp.port_retries=0",
        `--ServerApp.root_dir=${dirs.work}`,
        ...(options.args ?? []),
      ],
      {
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          LANG: "C.UTF-8",
          HOME: root,
          JUPYTER_PATH: REPO_JUPYTER_DIR,
          JUPYTER_CONFIG_DIR: dirs.config,
          JUPYTER_RUNTIME_DIR: dirs.runtime,
          JUPYTER_DATA_DIR: dirs.data,
          JUPYTER_PLATFORM_DIRS: "1",
          ...options.env,
        },
      },
    );
    let output = "";
    const keep = (b: Buffer) => {
      output = (output + b.toString("utf8")).slice(-8000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const baseUrl = `http://127.0.0.1:${port}/`;
    try {
      await waitForStatus(baseUrl, token, child, options.startTimeoutMs ?? 30_000);
    } catch (err) {
      await stopServer(child);
      lastError = new Error(`jupyter server did not start on port ${port}: ${(err as Error).message}\n${output}`);
      continue;
    }
    let closed = false;
    return {
      host: "127.0.0.1",
      port,
      token,
      baseUrl,
      wsUrl: `ws://127.0.0.1:${port}/`,
      listKernels: () => listKernels(baseUrl, token, () => output),
      async kill() {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        signalGroup(child.pid, "SIGKILL");
        await exited;
      },
      async close() {
        if (closed) return;
        closed = true;
        await stopServer(child);
        // a kernel outlives a killed server for a moment (ipykernel polls its parent) and may
        // still write its IPython history here: retry instead of failing on ENOTEMPTY
        await rm(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
      },
    };
  }
  await rm(root, { recursive: true, force: true });
  throw lastError;
}

async function listKernels(baseUrl: string, token: string, output: () => string): Promise<Array<{ id: string; name: string }>> {
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await fetch(`${baseUrl}api/kernels`, { headers: { Authorization: `token ${token}` } });
    const body = await res.text();
    if (res.ok) {
      const parsed: unknown = JSON.parse(body);
      if (Array.isArray(parsed)) return parsed as Array<{ id: string; name: string }>;
    }
    last = `${res.status}: ${body.slice(0, 500)}`;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET ${baseUrl}api/kernels kept failing (${last})\nserver output:\n${output().slice(-3000)}`);
}

async function waitForStatus(baseUrl: string, token: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const res = await fetch(`${baseUrl}api/status`, { headers: { Authorization: `token ${token}` } });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${baseUrl}api/status within ${timeoutMs} ms`);
}

/** SIGTERM (the server shuts its kernels down), then SIGKILL of the whole group after 5 s. */
async function stopServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(pid, "SIGTERM");
  const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  signalGroup(pid, "SIGKILL");
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}
