import { parseArgs } from "node:util";
import { clientFrom } from "@pyfleet/client";
import { RUN_STATUSES, type RunStatus } from "@pyfleet/core";
import { type Command, UsageError } from "../command.js";
import { runLine } from "./run-format.js";

const command: Command = {
  name: ["runs"],
  summary: "List runs, newest first.",
  usage: "pyfleet runs [--status STATUS] [--limit N] [--json] [--url URL] [--token TOKEN]",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { status: { type: "string" }, limit: { type: "string", default: "20" }, json: { type: "boolean" }, url: { type: "string" }, token: { type: "string" } },
    });
    if (values.status && !(RUN_STATUSES as readonly string[]).includes(values.status)) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}`);
    const page = await clientFrom(values, io.env).list({ limit: Number(values.limit), ...(values.status ? { status: values.status as RunStatus } : {}) });
    if (values.json) io.out(JSON.stringify(page, null, 2));
    else if (page.runs.length === 0) io.out("no runs");
    else for (const r of page.runs) io.out(runLine(r));
    return 0;
  },
};
export default command;
