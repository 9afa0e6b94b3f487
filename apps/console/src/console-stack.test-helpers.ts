import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type RunningApprover, startApprover } from "@pyfleet/approver";
import { type PyfleetConfig, silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { type RunningProducer, startProducer } from "@pyfleet/producer";
import { startTestFleet, type TestFleet } from "@pyfleet/runtime/testing";
import { launchBrowser } from "@pyfleet/testing";
import type { Browser } from "playwright-core";
import { type RunningConsole, startConsole } from "./start-console.js";

const PKG = fileURLToPath(new URL("..", import.meta.url));

/** What a browser test of the console talks to (see {@link startConsoleStack}). */
export interface ConsoleStack {
  /** The test fleet: Redis prefix, env, config, decision keys. */
  t: TestFleet;
  /** The fleet the producer and approver run on; it serves no queue. */
  front: Fleet;
  producer: RunningProducer;
  approver: RunningApprover;
  web: RunningConsole;
  browser: Browser;
  /** Starts the analyze and execute workers (both modes) once; runs wait in `queued` until then. */
  startWorkers(): Promise<void>;
  /** Closes the browser, console, approver, producer, then the fleets and the Redis prefix. */
  close(): Promise<void>;
}

/**
 * The console's browser-test set-up: builds the page (`npm run build`, as bootstrap does), opens a
 * test fleet that serves no queue and decides approvals, starts the producer and approver on it,
 * the console server in front of both, and Chromium. A failure part-way closes what was started.
 */
export async function startConsoleStack(opts: { tag: string; env?: Record<string, string>; configure?: (config: PyfleetConfig) => void }): Promise<ConsoleStack> {
  // The page under test is the one `npm run build` makes.
  const build = spawnSync("npm", ["run", "-s", "build"], { cwd: PKG, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`console build failed:\n${build.stdout}\n${build.stderr}`);
  const t = await startTestFleet({ tag: opts.tag, decides: true, ...(opts.env ? { env: opts.env } : {}), ...(opts.configure ? { configure: opts.configure } : {}) });
  const { config, env, fleet: front } = t;
  let producer: RunningProducer | undefined;
  let approver: RunningApprover | undefined;
  let web: RunningConsole | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  let workers: Promise<Fleet> | undefined;
  const close = async () => {
    await closeBrowser?.();
    await web?.close();
    await approver?.close();
    await producer?.close();
    await t.cleanup();
  };
  try {
    producer = await startProducer({ config, logger: silentLogger(), env, fleet: front, port: 0 });
    approver = await startApprover({ config, runtime: t.runtime, env, logger: silentLogger(), host: "127.0.0.1", port: 0 });
    web = await startConsole({ producerUrl: producer.url, approverUrl: approver.url, port: 0, logger: silentLogger() });
    const launched = await launchBrowser();
    closeBrowser = launched.close;
    return {
      t,
      front,
      producer,
      approver,
      web,
      browser: launched.browser,
      startWorkers: async () => {
        workers ??= t.open({ stages: ["analyze", "execute"], modes: ["read_only", "write_access"] });
        await workers;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
