import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type CaEnv, SIM_DEFAULT_CONFIG, startSimIoc } from "@pyfleet/core";
import { type Command, UsageError } from "../command.js";

/** The lines that tell a shell how to reach the IOC (`export EPICS_CA_...=...`). */
export function caExports(env: CaEnv): string[] {
  return Object.entries(env).map(([k, v]) => `export ${k}=${v}`);
}

const command: Command = {
  name: ["sim", "ioc"],
  summary: "Serve the simulated storage ring (a caproto Channel Access IOC) on 127.0.0.1 and print the EPICS_CA_* settings to use.",
  usage: "pyfleet sim ioc [--config FILE] [--port N] [--put-log FILE]   (port 0 or none = a free one; Ctrl-C stops it)",
  async run(args, io) {
    const { values } = parseArgs({ args, options: { config: { type: "string" }, port: { type: "string" }, "put-log": { type: "string" } } });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be a port number (0 = a free one)");
    const config = values.config ? resolve(io.cwd, values.config) : SIM_DEFAULT_CONFIG;
    const putLog = values["put-log"] ? resolve(io.cwd, values["put-log"]) : undefined;
    const ioc = await startSimIoc({ config, port, ...(putLog ? { putLog } : {}), onStderr: (line) => io.err(line) });
    io.out(`sim: simulated storage ring (${config}, ${ioc.pvCount} PVs) on 127.0.0.1:${ioc.port}, pid ${ioc.pid}`);
    io.out("sim: point Channel Access clients (pyepics, caget, pyfleet dev) at it with:");
    for (const line of caExports(ioc.env)) io.out(`  ${line}`);
    if (putLog) io.out(`sim: every put is appended to ${putLog}`);
    io.out("sim: ready (Ctrl-C stops it)");
    const sig = await new Promise<string>((done) => {
      process.once("SIGINT", () => done("SIGINT"));
      process.once("SIGTERM", () => done("SIGTERM"));
    });
    io.out(`sim: ${sig}: stopping`);
    await ioc.stop();
    return 0;
  },
};
export default command;
