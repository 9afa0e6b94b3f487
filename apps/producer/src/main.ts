import { type Logger, loadConfig, type PyfleetConfig, PyfleetError } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { openFleet } from "@pyfleet/runtime";
import { parseOptions, processIO, runIfMain, runMain } from "@pyfleet/service-kit";
import type { FastifyInstance } from "fastify";
import { createProducerMetrics } from "./producer-metrics.js";
import { createProducerServer } from "./server.js";

/** A running producer. */
export interface RunningProducer {
  fleet: Fleet;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export interface StartProducerOptions {
  config: PyfleetConfig;
  logger: Logger;
  env?: Record<string, string | undefined>;
  /**
   * Serve on this fleet instead of opening one (tests that share one). The runs this producer
   * ends (cancels) are then counted by that fleet's observer, not on this producer's `/metrics`.
   */
  fleet?: Fleet;
  /** Overrides `producer.port` (0 = any free port). */
  port?: number;
}

/**
 * A producer without tokens lets anyone who reaches its port submit code and read every run:
 * it starts only when the config opts in with `producer.allow_anonymous: true`.
 * @returns "anonymous" when it will run without tokens (the caller warns), "tokens" otherwise.
 * @throws PyfleetError `CONFIG_INVALID` naming both settings when there are no tokens and no opt-in.
 */
export function checkProducerAuth(config: PyfleetConfig): "tokens" | "anonymous" {
  const { producer } = config;
  if (producer.tokens.length > 0) return "tokens";
  if (producer.allow_anonymous) return "anonymous";
  throw new PyfleetError(
    "CONFIG_INVALID",
    "producer.tokens is empty: add a token ({ sha256, identity }) or, on a trusted dev machine only, set producer.allow_anonymous: true",
    { issues: [{ path: "producer.tokens", message: "no tokens and producer.allow_anonymous is false: the producer would accept runs from anyone" }] },
  );
}

/** Opens the fleet (unless given) and listens on `producer.host:port`. */
export async function startProducer(opts: StartProducerOptions): Promise<RunningProducer> {
  if (checkProducerAuth(opts.config) === "anonymous") {
    const { host, port } = opts.config.producer;
    opts.logger.warn({ host, port: opts.port ?? port }, "producer.allow_anonymous is true and producer.tokens is empty: anyone who reaches this port submits, reads and cancels every run");
  }
  const own = !opts.fleet;
  const metrics = createProducerMetrics();
  const fleet = opts.fleet ?? (await openFleet(opts.config, { logger: opts.logger, env: opts.env ?? process.env, observer: metrics.observer })).fleet;
  const { producer, limits } = opts.config;
  const app = createProducerServer({
    fleet,
    logger: opts.logger,
    tokens: producer.tokens,
    readerTokens: opts.config.approver.tokens,
    bodyLimit: producer.body_limit_bytes,
    maxCodeBytes: limits.max_code_bytes,
    maxContextBytes: limits.max_context_bytes,
    maxJsonDepth: limits.max_json_depth,
    metrics,
  });
  try {
    await app.listen({ host: producer.host, port: opts.port ?? producer.port });
  } catch (err) {
    if (own) await fleet.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? producer.port);
  // Submissions a producer (this one or another) died in the middle of are finished here.
  const recoverMs = producer.recover_after_seconds * 1000;
  const recovery = setInterval(() => {
    fleet.recoverSubmissions(recoverMs).then(
      (r) => {
        if (r.redispatched + r.failed > 0) opts.logger.warn(r, "recovered submissions a producer died in the middle of");
      },
      (err: unknown) => opts.logger.warn({ err }, "recovering interrupted submissions failed; retried"),
    );
  }, Math.min(recoverMs / 2, 15_000));
  recovery.unref();
  let closing: Promise<void> | null = null;
  return {
    fleet,
    app,
    url: `http://${producer.host.includes(":") ? `[${producer.host}]` : producer.host}:${port}`,
    close() {
      closing ??= (async () => {
        clearInterval(recovery);
        await app.close();
        if (own) await fleet.close();
      })();
      return closing;
    },
  };
}

const USAGE = "pyfleet-producer [--config FILE] [--port N]";

/** `pyfleet-producer [--config FILE] [--port N]`: serves until SIGTERM/SIGINT, then drains. */
export function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return runMain(
    {
      name: "pyfleet-producer",
      usage: USAGE,
      parse: (args) => parseOptions(args, { config: { type: "string" }, port: { type: "string" } }, ["port"]),
      config: (values, env) => {
        const config = loadConfig({ ...(typeof values.config === "string" ? { file: values.config } : {}), env });
        checkProducerAuth(config);
        return config;
      },
      async start({ args, config, env, logger }) {
        const running = await startProducer({ config, logger, env, ...(typeof args.port === "string" ? { port: Number(args.port) } : {}) });
        return { readyLine: `pyfleet-producer listening on ${running.url}`, close: () => running.close() };
      },
    },
    argv,
    { ...processIO, env },
  );
}

runIfMain(import.meta.url, "pyfleet-producer", () => main(process.argv.slice(2)));
