import { parseArgs } from "node:util";
import { clientFrom } from "@pyfleet/client";
import { type Command, UsageError } from "../command.js";

const command: Command = {
  name: ["cancel"],
  summary: "Cancel a run (a queued one at once, a running execution is interrupted).",
  usage: "pyfleet cancel RUN [--url URL] [--token TOKEN]",
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { url: { type: "string" }, token: { type: "string" } } });
    const runId = positionals[0];
    if (!runId) throw new UsageError("name the run");
    const r = await clientFrom(values, io.env).cancel(runId);
    io.out(`run ${r.runId}: ${r.status === "cancelled" ? "cancelled" : `${r.status} (cancellation requested; the worker stops it)`}`);
    return 0;
  },
};
export default command;
