import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createLogger, isPyfleetError, loadConfig, signingKeys } from "@pyfleet/core";
import { createFleet, realPipelineBuilder } from "@pyfleet/fleet";
import { startApprover } from "./start-approver.js";

const USAGE = "pyfleet-approver [--config FILE] [--host HOST] [--port N]";

/**
 * The approver process: API + web page + expiry sweeper. It serves no queue; it resumes
 * approved runs and dispatches their next node. SIGTERM/SIGINT drain and close.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { config?: string; host?: string; port?: string; help?: boolean };
  try {
    values = parseArgs({ args: argv, options: { config: { type: "string" }, host: { type: "string" }, port: { type: "string" }, help: { type: "boolean" } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nUsage: ${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`Usage: ${USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be an integer 0-65535\nUsage: ${USAGE}\n`);
    return 2;
  }
  const logger = createLogger({ service: "approver" });
  try {
    const config = loadConfig({ ...(values.config ? { file: values.config } : {}), env });
    signingKeys(config, env); // fail fast, before any connection is opened
    const { fleet } = await createFleet(config, { stages: [], logger, build: realPipelineBuilder(env) });
    let approver: Awaited<ReturnType<typeof startApprover>>;
    try {
      approver = await startApprover({ config, fleet, logger, env, ...(values.host ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) });
    } catch (err) {
      await fleet.close();
      throw err;
    }
    logger.info({ url: approver.url }, "approver listening");
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, "draining");
        resolve();
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    await approver.close();
    await fleet.close();
    return 0;
  } catch (err) {
    if (isPyfleetError(err) && err.category === "configuration") {
      process.stderr.write(`pyfleet-approver: ${err.message}\n`);
      return 1;
    }
    logger.error({ err }, "approver failed");
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
