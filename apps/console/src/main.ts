import { parseOptions, processIO, runIfMain, runMain } from "@pyfleet/service-kit";
import { startConsole } from "./start-console.js";

const USAGE =
  "pyfleet-console [--producer URL] [--approver URL] [--host H] [--port N]\n" +
  "  defaults: PYFLEET_URL or http://127.0.0.1:8080, PYFLEET_APPROVER_URL or http://127.0.0.1:8081, 127.0.0.1:8082";

/** `pyfleet-console`: serves the web console until SIGTERM/SIGINT. */
export function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return runMain(
    {
      name: "pyfleet-console",
      usage: USAGE,
      parse: (args) =>
        parseOptions(args, { producer: { type: "string" }, approver: { type: "string" }, host: { type: "string" }, port: { type: "string" } }, ["port"]) as Record<
          string,
          string | undefined
        >,
      async start({ args, env, logger }) {
        const running = await startConsole({
          producerUrl: args.producer ?? env.PYFLEET_URL ?? "http://127.0.0.1:8080",
          approverUrl: args.approver ?? env.PYFLEET_APPROVER_URL ?? "http://127.0.0.1:8081",
          host: args.host ?? "127.0.0.1",
          port: args.port === undefined ? 8082 : Number(args.port),
          logger,
        });
        return { readyLine: `pyfleet-console listening on ${running.url}`, close: () => running.close() };
      },
    },
    argv,
    { ...processIO, env },
  );
}

runIfMain(import.meta.url, "pyfleet-console", () => main(process.argv.slice(2)));
