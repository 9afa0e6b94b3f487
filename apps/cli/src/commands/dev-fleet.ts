import type { PyfleetConfig } from "@pyfleet/core";
import { type StartedApp, startApp } from "./dev-apps.js";
import type { StartedService } from "./dev-services.js";
import { DEV_ROLE_VAR } from "./dev-supervisor.js";

/** Where the apps of a `pyfleet dev` session answer. */
export interface DevApps {
  producer: string;
  approver: string;
  /** Null when the console did not start (an unbuilt checkout); `consoleError` says why. */
  console: string | null;
  consoleError: string | null;
  /** `/metrics` of each worker process. */
  workerMetrics: string[];
}

export interface DevAppsOptions {
  config: PyfleetConfig;
  /** The session's config, written for the apps (`--config`). */
  configFile: string;
  /** The session's environment: IOC, Jupyter token, decision keys. */
  env: Record<string, string | undefined>;
  /** Ports of the producer, approver and console (0 = any free port). */
  ports: { producer: number; approver: number; console: number };
  /** The apps' own lines (warnings, errors). */
  onLine: (line: string) => void;
  /** Each app is added here once it serves, so a failed start still stops what did start. */
  started: StartedService[];
}

const WORKER_READY = /^pyfleet-worker ready .* metrics=(\S+)$/;
const listening = (name: string) => new RegExp(`^${name} listening on (\\S+)$`);

/**
 * Starts the fleet's apps as the processes a deployment runs, each with its own command:
 * a worker for every stage in read-only mode, a write executor, the producer, the approver and
 * then the console (it needs the other two's URLs). Only the approver gets the signing keys.
 */
export async function startDevApps(opts: DevAppsOptions): Promise<DevApps> {
  const { config, env } = opts;
  const { signing_keys_env: signingVar } = config.approver;
  const childEnv: Record<string, string | undefined> = { ...env, PYFLEET_LOG_LEVEL: env.PYFLEET_LOG_LEVEL ?? "warn", [DEV_ROLE_VAR]: undefined };
  const unsigned = { ...childEnv, [signingVar]: undefined };
  // a worker drains its in-flight runs before it exits
  const base = { onLine: opts.onLine, stopGraceMs: config.queues.drain_seconds * 1000 + 10_000 };
  const cfg = ["--config", opts.configFile];
  const starts: Array<Promise<StartedApp>> = [
    startApp("pyfleet-worker", ["--stage", "all", "--mode", "read_only", "--metrics-port", "0", ...cfg], { ...base, env: unsigned, ready: WORKER_READY }),
    startApp("pyfleet-worker", ["--stage", "execute", "--mode", "write_access", "--metrics-port", "0", ...cfg], { ...base, env: unsigned, ready: WORKER_READY }),
    startApp("pyfleet-producer", [...cfg, "--port", String(opts.ports.producer)], { ...base, env: unsigned, ready: listening("pyfleet-producer") }),
    startApp("pyfleet-approver", [...cfg, "--port", String(opts.ports.approver)], { ...base, env: childEnv, ready: listening("pyfleet-approver") }),
  ];
  const settled = await Promise.allSettled(starts);
  for (const s of settled) if (s.status === "fulfilled") opts.started.push(s.value);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  const [readWorker, writeWorker, producer, approver] = settled.map((s) => (s as PromiseFulfilledResult<StartedApp>).value) as [StartedApp, StartedApp, StartedApp, StartedApp];
  const out: DevApps = { producer: producer.url, approver: approver.url, console: null, consoleError: null, workerMetrics: [readWorker.url, writeWorker.url] };
  try {
    const web = await startApp("pyfleet-console", ["--producer", producer.url, "--approver", approver.url, "--host", "127.0.0.1", "--port", String(opts.ports.console)], {
      ...base,
      env: unsigned,
      ready: listening("pyfleet-console"),
    });
    opts.started.push(web);
    out.console = web.url;
  } catch (err) {
    // The fleet works without its web page (an unbuilt checkout): say why it is missing.
    out.consoleError = (err as Error).message;
  }
  return out;
}
