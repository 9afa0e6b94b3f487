/**
 * A service for the runMain tests: loads the real config (`--config`), starts, and drains for
 * `--drain-ms` (never, with `--drain-ms forever`); `--fail-start` throws at start-up.
 */
import { loadConfig } from "@pyfleet/core";
import { parseOptions, runIfMain, runMain } from "./run-main.js";

runIfMain(import.meta.url, "pyfleet-fixture", () =>
  runMain(
    {
      name: "pyfleet-fixture",
      usage: "pyfleet-fixture [--config FILE] [--drain-ms N|forever] [--fail-start]",
      parse: (argv) => parseOptions(argv, { config: { type: "string" }, "drain-ms": { type: "string" }, "fail-start": { type: "boolean" } }),
      config: (args, env) => loadConfig({ ...(typeof args.config === "string" ? { file: args.config } : {}), env }),
      async start({ args, config }) {
        if (args["fail-start"]) throw new Error(`cannot reach redis at ${config.redis.url}`);
        const drain = args["drain-ms"] === "forever" ? null : Number(args["drain-ms"] ?? 0);
        // What a server socket does in a real service: keeps the process alive while it serves.
        const serving = setInterval(() => {}, 60_000);
        return {
          readyLine: "pyfleet-fixture ready",
          drainNote: () => "finishing 1 thing",
          close: () =>
            new Promise<void>((resolve) => {
              if (drain !== null) setTimeout(resolve, drain);
            }).finally(() => clearInterval(serving)),
        };
      },
    },
    process.argv.slice(2),
  ),
);
