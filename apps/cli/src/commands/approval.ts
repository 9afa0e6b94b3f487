import { parseArgs } from "node:util";
import { type ApprovalDetail, formatManifestTable } from "@pyfleet/core";
import { type Command, UsageError } from "../command.js";
import { approverCall, approverTarget } from "../approver-client.js";

const command: Command = {
  name: ["approval"],
  summary: "Show one approval: write manifest (current → proposed), code with line numbers, findings, votes.",
  usage: "pyfleet approval ID [--json] [--url URL] [--token TOKEN]",
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" }, url: { type: "string" }, token: { type: "string" } } });
    const id = positionals[0];
    if (!id) throw new UsageError("missing approval ID");
    const { approval: a } = await approverCall<{ approval: ApprovalDetail }>(approverTarget(values, io.env), "GET", `/v1/approvals/${encodeURIComponent(id)}`);
    if (values.json) {
      io.out(JSON.stringify(a, null, 2));
      return 0;
    }
    io.out(`approval ${a.id} — ${a.status} (${a.votes.filter((v) => v.decision === "approve").length}/${a.requiredApprovals} approvals)`);
    io.out(`run ${a.runId} attempt ${a.attempt}, ${a.executionMode} on ${a.kernelName}, requested by ${a.requester}, expires ${a.expiresAt}`);
    io.out(`task: ${a.task}`);
    io.out(`why: ${a.reasoning}`);
    io.out(`code hash: ${a.codeHash}`);
    if (a.notebookLink ?? a.notebookPath) io.out(`notebook: ${a.notebookLink ?? a.notebookPath}`);
    if (a.manifest) {
      const out = a.manifest.entries.filter((e) => e.outOfLimits).length;
      io.out(`write manifest (dry run on the read-only side; only these PVs may be written)${out ? `: ${out} OUT OF LIMITS` : ""}:`);
      for (const line of formatManifestTable(a.manifest).split("\n")) io.out(`  ${line}`);
    } else {
      for (const p of a.pvWrites) io.out(`writes ${p.pv ?? "(not a literal)"} at line ${p.line} via ${p.api}`);
    }
    const byLine = new Map<number, string[]>();
    for (const f of a.findings) byLine.set(f.line, [...(byLine.get(f.line) ?? []), `${f.level} ${f.rule}: ${f.message}`]);
    a.code.split("\n").forEach((l, i) => {
      io.out(`${String(i + 1).padStart(4)} | ${l}`);
      for (const f of byLine.get(i + 1) ?? []) io.out(`     ^ ${f}`);
    });
    for (const v of a.votes) io.out(`vote: ${v.identity} ${v.decision}: ${v.reason}`);
    return 0;
  },
};
export default command;
