import { parseArgs } from "node:util";
import type { ApprovalSummary } from "@pyfleet/core";
import type { Command } from "../command.js";
import { approverCall, approverTarget } from "../approver-client.js";

const command: Command = {
  name: ["approvals"],
  summary: "List approvals (pending by default).",
  usage: "pyfleet approvals [--status pending|approved|rejected|expired|cancelled|all] [--json] [--url URL] [--token TOKEN]",
  async run(args, io) {
    const { values } = parseArgs({ args, options: { status: { type: "string", default: "pending" }, json: { type: "boolean" }, url: { type: "string" }, token: { type: "string" } } });
    const t = approverTarget(values, io.env);
    const q = values.status === "all" ? "" : `?status=${encodeURIComponent(values.status as string)}`;
    const { approvals } = await approverCall<{ approvals: ApprovalSummary[] }>(t, "GET", `/v1/approvals${q}`);
    if (values.json) {
      io.out(JSON.stringify(approvals, null, 2));
      return 0;
    }
    if (approvals.length === 0) io.out(`no ${values.status === "all" ? "" : `${values.status} `}approvals`);
    for (const a of approvals) {
      const pvs = a.pvWrites.map((p) => p.pv ?? "(dynamic)").join(",") || "-";
      io.out(`${a.id}  ${a.status.padEnd(9)} ${a.executionMode.padEnd(12)} ${a.approvals}/${a.requiredApprovals}  run ${a.runId}  writes ${pvs}  expires ${a.expiresAt}  ${a.task}`);
    }
    return 0;
  },
};
export default command;
