import type { Logger } from "@pyfleet/core";
import { createConsoleServer } from "./console-server.js";
import { webRoot } from "./web-root.js";

export interface StartConsoleOptions {
  producerUrl: string;
  approverUrl: string;
  logger: Logger;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8082; 0 = any free port. */
  port?: number;
  /** Built page folder (default: this package's dist/web). */
  webRoot?: string;
}

/** A running console (also mounted by `pyfleet dev`). */
export interface RunningConsole {
  url: string;
  port: number;
  /** Stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the console on `host:port`.
 * @throws PyfleetError `CONFIG_INVALID` when the page is not built.
 */
export async function startConsole(opts: StartConsoleOptions): Promise<RunningConsole> {
  const app = await createConsoleServer({
    producerUrl: opts.producerUrl,
    approverUrl: opts.approverUrl,
    webRoot: webRoot(opts.webRoot),
    logger: opts.logger,
  });
  const host = opts.host ?? "127.0.0.1";
  await app.listen({ host, port: opts.port ?? 8082 });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? 8082);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
