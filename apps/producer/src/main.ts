import { pathToFileURL } from "node:url";
import { createLogger, isPyfleetError, type Logger, loadConfig, type PyfleetConfig } from "@pyfleet/core";
import { createFleet, type Fleet, type PipelineBuilder, realPipelineBuilder } from "@pyfleet/fleet";
import type { FastifyInstance } from "fastify";
import { createProducerServer } from "./server.js";

/** A running producer (also embedded by `pyfleet dev`). */
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
  /** Serve on this fleet instead of opening one (dev mode shares one). */
  fleet?: Fleet;
  build?: PipelineBuilder<PyfleetConfig>;
  /** Overrides `producer.port` (0 = any free port). */
  port?: number;
}

/** Opens the fleet (unless given) and listens on `producer.host:port`. */
export async function startProducer(opts: StartProducerOptions): Promise<RunningProducer> {
  const own = !opts.fleet;
  const fleet =
    opts.fleet ?? (await createFleet(opts.config, { logger: opts.logger, build: opts.build ?? realPipelineBuilder(opts.env ?? process.env) })).fleet;
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

/** `pyfleet-producer [--config FILE] [--port N]`: serves until SIGTERM/SIGINT. */
export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let file: string | undefined;
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--config") file = argv[++i];
    else if (argv[i] === "--port") port = Number(argv[++i]);
    else {
      process.stderr.write(`pyfleet-producer: unknown option ${argv[i]}\nUsage: pyfleet-producer [--config FILE] [--port N]\n`);
      return 2;
    }
  }
  let config: PyfleetConfig;
  try {
    config = loadConfig({ ...(file ? { file } : {}), env });
  } catch (err) {
    if (!isPyfleetError(err)) throw err;
    process.stderr.write(`pyfleet-producer: ${err.message}${(err.issues ?? []).map((i) => `\n  ${i.path}: ${i.message}`).join("")}\n`);
    return 2;
  }
  const logger = createLogger({ service: "producer", destination: process.stderr });
  const running = await startProducer({ config, logger, env, ...(port !== undefined ? { port } : {}) });
  process.stdout.write(`pyfleet-producer listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await running.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`pyfleet-producer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
