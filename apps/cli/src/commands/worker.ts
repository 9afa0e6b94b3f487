import type { Command } from "../command.js";

const command: Command = {
  name: ["worker"],
  summary: "Run a stage worker (same as pyfleet-worker).",
  usage: "pyfleet worker --stage generate|analyze|execute|all [--mode read_only|write_access] [--concurrency N] [--config FILE] [--metrics-port N]",
  async run(args, io) {
    const { main } = await import("@pyfleet/worker");
    return main(args, { out: io.out, err: io.err, env: io.env });
  },
};
export default command;
