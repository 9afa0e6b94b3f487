import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createLogger, isPyfleetError } from "@pyfleet/core";
import { startConsole } from "./start-console.js";

const USAGE = "Usage: pyfleet-console [--producer URL] [--approver URL] [--host H] [--port N]\n" +
  "  defaults: PYFLEET_URL or http://127.0.0.1:8080, PYFLEET_APPROVER_URL or http://127.0.0.1:8081, 127.0.0.1:8082\n";

/** `pyfleet-console`: serves the web console until SIGTERM/SIGINT. */
export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { producer: { type: "string" }, approver: { type: "string" }, host: { type: "string" }, port: { type: "string" } },
    }));
  } catch (err) {
    process.stderr.write(`pyfleet-console: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const port = values.port === undefined ? 8082 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`pyfleet-console: --port must be a port number\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ service: "console", destination: process.stderr });
  let running: Awaited<ReturnType<typeof startConsole>>;
  try {
    running = await startConsole({
      producerUrl: values.producer ?? env.PYFLEET_URL ?? "http://127.0.0.1:8080",
      approverUrl: values.approver ?? env.PYFLEET_APPROVER_URL ?? "http://127.0.0.1:8081",
      host: values.host ?? "127.0.0.1",
      port,
      logger,
    });
  } catch (err) {
    if (!isPyfleetError(err)) throw err;
    process.stderr.write(`pyfleet-console: ${err.message}\n`);
    return 2;
  }
  process.stdout.write(`pyfleet-console listening on ${running.url}\n`);
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
      process.stderr.write(`pyfleet-console: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
