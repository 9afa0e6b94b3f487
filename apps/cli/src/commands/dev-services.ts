import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { projectPython } from "@pyfleet/core";
import { Redis } from "ioredis";

/** A process `pyfleet dev` started and must stop. */
export interface StartedService {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** True when a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  // the refusal is the answer: without a listener ioredis prints it as an "Unhandled error event"
  r.on("error", () => undefined);
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export const hasCommand = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

/** Starts a private, memory-only redis-server on a free port. */
export async function startPrivateRedis(): Promise<StartedService> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor("redis-server", () => redisAnswers(url), child, 10_000);
  return { url, stop: () => stopChild(child) };
}

/** True when the project venv (or `$LOCAL_PYTHON_VENV`) has Jupyter's server and ipykernel. */
export const jupyterInstalled = (env: Record<string, string | undefined> = process.env): boolean =>
  spawnSync(projectPython(env), ["-c", "import jupyter_server, ipykernel"], { stdio: "ignore" }).status === 0;

/**
 * Starts `scripts/jupyter.sh` (pyfleet's kernelspecs) on a free port with a random token. The
 * script passes only PATH, LANG and the `EPICS_CA_*` of `env` on to the server and its kernels.
 */
export async function startJupyter(repoRoot: string, env: Record<string, string | undefined> = process.env): Promise<StartedService & { port: number; token: string }> {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const child = spawn("bash", [`${repoRoot}/scripts/jupyter.sh`], {
    env: { ...env, JUPYTER_HOST: "127.0.0.1", JUPYTER_PORT: String(port), JUPYTER_TOKEN: token },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  const probe = async () => {
    try {
      return (await fetch(`${url}/api/status`, { headers: { authorization: `token ${token}` } })).ok;
    } catch {
      return false;
    }
  };
  await waitFor("jupyter server", probe, child, 30_000);
  return { url, port, token, stop: () => stopChild(child) };
}

/**
 * Stops `services` in the given order, each given at most `budgetMs` (a close that hangs, e.g. on
 * a kernel busy with user code, must not keep the rest running: what it leaves is killed after).
 * Returns the services that did not stop in time.
 */
export async function stopServices(services: readonly StartedService[], budgetMs: number): Promise<StartedService[]> {
  const late: StartedService[] = [];
  for (const s of services) {
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      s.stop().then(
        () => true,
        () => true,
      ),
      new Promise<false>((r) => {
        timer = setTimeout(() => r(false), budgetMs);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) late.push(s);
  }
  return late;
}
