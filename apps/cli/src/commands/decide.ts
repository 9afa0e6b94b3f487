import { parseArgs } from "node:util";
import { type Command, type CommandIO, UsageError } from "../command.js";
import { approverCall, approverTarget } from "../approver-client.js";

async function decide(decision: "approve" | "reject", args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      reason: { type: "string" },
      feedback: { type: "string" },
      regenerate: { type: "boolean" },
      "code-hash": { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
    },
  });
  const id = positionals[0];
  if (!id) throw new UsageError("missing approval ID");
  if (!values.reason) throw new UsageError("--reason is required: say why");
  if (values.regenerate && !values.feedback) throw new UsageError("--regenerate needs --feedback telling the generator what to change");
  const t = approverTarget(values, io.env);
  // Quote the hash of the code we were shown: fetch it unless the caller pinned it.
  const codeHash =
    values["code-hash"] ??
    (await approverCall<{ approval: { codeHash: string } }>(t, "GET", `/v1/approvals/${encodeURIComponent(id)}`)).approval.codeHash;
  const body = {
    decision,
    codeHash,
    reason: values.reason,
    ...(values.feedback ? { feedback: values.feedback } : {}),
    ...(values.regenerate ? { regenerate: true } : {}),
  };
  const r = await approverCall<{ approval: { status: string; approvals: number; requiredApprovals: number }; released: boolean }>(
    t,
    "POST",
    `/v1/approvals/${encodeURIComponent(id)}/decision`,
    body,
  );
  io.out(decisionMessage(id, decision, r, body.regenerate === true));
  return 0;
}

/** What a decision did to the run, in words (a rejection ends it unless it goes back for regeneration). */
export function decisionMessage(
  id: string,
  decision: "approve" | "reject",
  r: { approval: { status: string; approvals: number; requiredApprovals: number }; released: boolean },
  regenerate: boolean,
): string {
  if (!r.released) return `${id}: vote recorded (${r.approval.approvals}/${r.approval.requiredApprovals} approvals); still pending`;
  if (decision === "approve") return `${id}: approved; the run continues to execution`;
  return regenerate
    ? `${id}: rejected; the run goes back to code generation with your feedback`
    : `${id}: rejected; the run ends with status rejected`;
}

export const approve: Command = {
  name: ["approve"],
  summary: "Approve a parked run (quotes the hash of the code under review).",
  usage: "pyfleet approve ID --reason TEXT [--code-hash HEX] [--url URL] [--token TOKEN]",
  run: (args, io) => decide("approve", args, io),
};

export const reject: Command = {
  name: ["reject"],
  summary: "Reject a parked run, optionally sending it back for regeneration with feedback.",
  usage: "pyfleet reject ID --reason TEXT [--feedback TEXT --regenerate] [--url URL] [--token TOKEN]",
  run: (args, io) => decide("reject", args, io),
};
