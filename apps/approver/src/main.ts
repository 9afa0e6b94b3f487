import { loadConfig } from "@pyfleet/core";
import { openFleet } from "@pyfleet/runtime";
import { parseOptions, processIO, runIfMain, runMain } from "@pyfleet/service-kit";
import { createApproverMetrics } from "./approver-metrics.js";
import { startApprover } from "./start-approver.js";

const USAGE = "pyfleet-approver [--config FILE] [--host HOST] [--port N]";

/**
 * The approver process: API + web page + expiry sweeper. It serves no queue; it resumes
 * approved runs and dispatches their next node. SIGTERM/SIGINT drain and close.
 */
export function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runMain(
    {
      name: "pyfleet-approver",
      usage: USAGE,
      parse: (args) => parseOptions(args, { config: { type: "string" }, host: { type: "string" }, port: { type: "string" } }, ["port"]),
      config: (values, env) => loadConfig({ ...(typeof values.config === "string" ? { file: values.config } : {}), env }),
      async start({ args, config, env, logger }) {
        // decides: the signing keys are checked before any connection is opened
        const metrics = createApproverMetrics();
        const runtime = await openFleet(config, { logger, env, decides: true, observer: metrics.observer });
        const { fleet } = runtime;
        let approver: Awaited<ReturnType<typeof startApprover>>;
        try {
          approver = await startApprover({
            config,
            runtime,
            logger,
            env,
            metrics: metrics.registry,
            ...(typeof args.host === "string" ? { host: args.host } : {}),
            ...(typeof args.port === "string" ? { port: Number(args.port) } : {}),
          });
        } catch (err) {
          await fleet.close();
          throw err;
        }
        return {
          readyLine: `pyfleet-approver listening on ${approver.url}`,
          async close() {
            await approver.close();
            await fleet.close();
          },
        };
      },
    },
    argv,
    { ...processIO, env },
  );
}

runIfMain(import.meta.url, "pyfleet-approver", () => main(process.argv.slice(2)));
