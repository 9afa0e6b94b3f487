/**
 * Starts a real fleet for the Python client's tests and prints where it is as one JSON line on
 * stdout (after the marker `pyfleet-test-fleet `): producer, workers (every stage, both execute modes), approver, on the shared Redis
 * under a prefix of its own, with kernels from a Jupyter server of its own and the fake
 * OpenAI-compatible server for generation, and the simulated storage ring (a caproto IOC) the
 * kernels reach. A small control API lets the Python tests script the fake LLM
 * (`POST /llm/enqueue`, `GET /llm/requests`) and read the IOC from outside the user code
 * (`GET /ioc/put-count?pv=`, `GET /ioc/get?pv=`).
 *
 *   node --import tsx clients/python/tests/fleet/launch-fleet.ts
 *
 * Stops everything (and deletes its Redis keys) on SIGTERM/SIGINT or when stdin closes, so a
 * test process that dies takes its fleet with it.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startApprover } from "@pyfleet/approver";
import { createLogger } from "@pyfleet/core";
import { openFleet } from "@pyfleet/runtime";
import { testConfig, testDecisionKeys, testEnv } from "@pyfleet/runtime/testing";
import { startProducer } from "@pyfleet/producer";
import { createRedisFixture, FakeOpenAIServer, type FakeStep, IocFixture, startJupyterFixture } from "@pyfleet/testing";

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
const token = () => randomBytes(16).toString("hex");

async function main(): Promise<void> {
  // Libraries log to the console (the Jupyter client prints each websocket it opens): keep
  // stdout for the one line the tests read.
  console.log = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(" ")}\n`);
  const closers: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | null = null;
  const stop = (code: number) => {
    stopping ??= (async () => {
      for (const c of closers.reverse()) await c().catch((err: unknown) => process.stderr.write(`launch-fleet: close failed: ${String(err)}\n`));
      process.exit(code);
    })();
    return stopping;
  };
  process.once("SIGTERM", () => void stop(0));
  process.once("SIGINT", () => void stop(0));
  process.stdin.on("end", () => void stop(0));
  process.stdin.on("close", () => void stop(0));
  process.stdin.resume();

  try {
    const fx = await createRedisFixture("pyclient");
    closers.push(() => fx.cleanup());
    const fake = await FakeOpenAIServer.start();
    closers.push(() => fake.close());
    const ioc = await IocFixture.start();
    closers.push(() => ioc.close());
    const jupyter = await startJupyterFixture({ env: ioc.env });
    closers.push(() => jupyter.close());

    const tokens = { producer: token(), approver: token(), viewer: token() };
    const env = testEnv(fx.prefix, {
      ...testDecisionKeys(),
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: "fake-key",
      ...ioc.env,
      PYFLEET_EXECUTION_METHOD: "container",
      JUPYTER_TOKEN: jupyter.token,
    });
    const config = testConfig(env);
    config.execution.container.jupyter_host = jupyter.host;
    config.execution.container.jupyter_port = jupyter.port;
    config.producer.tokens = [{ sha256: sha256(tokens.producer), identity: "py-backend" }];
    config.approver.tokens = [
      { sha256: sha256(tokens.approver), identity: "operator-ann", roles: ["viewer", "approver"] },
      { sha256: sha256(tokens.viewer), identity: "viewer-vic", roles: ["viewer"] },
    ];
    const logger = createLogger({ service: "pyclient-test-fleet", destination: process.stderr, level: env.PYFLEET_LOG_LEVEL ?? "warn" });
    const runtime = await openFleet(config, {
      stages: ["generate", "analyze", "execute"],
      modes: ["read_only", "write_access"],
      logger,
      env,
      decides: true,
    });
    const { fleet } = runtime;
    closers.push(() => fleet.close());
    const producer = await startProducer({ config, logger, env, fleet, port: 0 });
    closers.push(() => producer.close());
    const approver = await startApprover({ config, runtime, logger, env, host: "127.0.0.1", port: 0, sweepIntervalMs: 500 });
    closers.push(() => approver.close());
    const control = await startControl(fake, ioc);
    closers.push(() => new Promise<void>((r) => control.close(() => r())));

    process.stdout.write(
      `pyfleet-test-fleet ${JSON.stringify({
        producer_url: producer.url,
        approver_url: approver.url,
        control_url: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
        producer_token: tokens.producer,
        producer_identity: "py-backend",
        approver_token: tokens.approver,
        approver_identity: "operator-ann",
        viewer_token: tokens.viewer,
        redis_prefix: fx.prefix,
        artifacts: env.PYFLEET_ARTIFACTS,
        jupyter_url: jupyter.baseUrl,
      })}\n`,
    );
  } catch (err) {
    process.stderr.write(`launch-fleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stop(1);
  }
}

/** The tests' handle on the fake LLM: enqueue scripted replies, read what the fleet asked. */
async function startControl(fake: FakeOpenAIServer, ioc: IocFixture) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      try {
        if (req.method === "POST" && req.url === "/llm/enqueue") {
          let raw = "";
          for await (const chunk of req) raw += String(chunk);
          const { steps } = JSON.parse(raw) as { steps: FakeStep[] };
          fake.enqueue(...steps);
          return send(200, { queued: steps.length });
        }
        if (req.method === "GET" && req.url === "/llm/requests") {
          return send(200, { requests: fake.chatRequests.map((_, i) => ({ messages: fake.messagesOf(i) })) });
        }
        const url = new URL(req.url ?? "/", "http://control");
        const pv = url.searchParams.get("pv") ?? "";
        if (req.method === "GET" && url.pathname === "/ioc/put-count") return send(200, { pv, count: await ioc.putCount(pv) });
        if (req.method === "GET" && url.pathname === "/ioc/get") return send(200, { pv, value: await ioc.get(pv) });
        send(404, { error: `no route ${req.method} ${req.url}` });
      } catch (err) {
        send(400, { error: String(err) });
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return server;
}

void main();
