import { parseArgs } from "node:util";
import { clientFrom } from "@pyfleet/client";
import { type Command, UsageError } from "../command.js";
import { runSummary } from "./run-format.js";

const command: Command = {
  name: ["status"],
  summary: "Show a run: status, error, results, figures, notebook.",
  usage: "pyfleet status RUN [--wait] [--json] [--url URL] [--token TOKEN]",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { wait: { type: "boolean" }, json: { type: "boolean" }, url: { type: "string" }, token: { type: "string" } },
    });
    const runId = positionals[0];
    if (!runId) throw new UsageError("name the run");
    const client = clientFrom(values, io.env);
    const run = values.wait ? await client.wait(runId) : await client.get(runId);
    if (values.json) io.out(JSON.stringify(run, null, 2));
    else for (const l of runSummary(run, client.baseUrl)) io.out(l);
    return run.status === "failed" || run.status === "outcome_unknown" ? 1 : 0;
  },
};
export default command;
