import { parseArgs } from "node:util";
import { clientFrom } from "@pyfleet/client";
import { type Command, UsageError } from "../command.js";
import { eventLine } from "./run-format.js";

const command: Command = {
  name: ["logs"],
  summary: "Print a run's events (status changes, code, output, results); --follow streams until it ends.",
  usage: "pyfleet logs RUN [--follow] [--json] [--url URL] [--token TOKEN]",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { follow: { type: "boolean", short: "f" }, json: { type: "boolean" }, url: { type: "string" }, token: { type: "string" } },
    });
    const runId = positionals[0];
    if (!runId) throw new UsageError("name the run");
    const client = clientFrom(values, io.env);
    for await (const e of client.events(runId, values.follow ? {} : { follow: false })) {
      io.out(values.json ? JSON.stringify(e) : eventLine(e));
    }
    return 0;
  },
};
export default command;
