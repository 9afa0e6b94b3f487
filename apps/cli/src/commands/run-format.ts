import type { RunDetails } from "@pyfleet/client";
import type { RunEvent, RunRecord } from "@pyfleet/core";

/** One line per run for listings. */
export function runLine(r: RunRecord): string {
  const stage = r.stage ? ` ${r.stage}` : "";
  return `${r.runId}  ${r.status.padEnd(17)}${stage.padEnd(10)} ${r.createdAt}  ${r.task.slice(0, 60)}`;
}

/** Human summary of a run: status, error, results, figures, notebook. */
export function runSummary(r: RunDetails): string[] {
  const out = [`run ${r.runId}: ${r.status}${r.mode ? ` (${r.mode})` : ""}, ${r.attempts} attempt(s)`];
  if (r.error) out.push(`  error: ${r.error.code}: ${r.error.message}`);
  if (r.status === "awaiting_approval") {
    out.push(`  awaiting approval ${r.approvalId ?? ""}: pyfleet approval ${r.approvalId ?? "<id>"} / pyfleet approve ${r.approvalId ?? "<id>"}`);
  }
  const res = r.final?.result;
  if (res) {
    for (const [k, v] of Object.entries(res.results)) out.push(`  results.${k} = ${short(v)}`);
    if (res.figure_paths.length) out.push(`  figures: ${res.figure_paths.join(", ")}`);
    for (const w of res.recorded_writes) out.push(`  recorded write #${w.order} (dry run, not performed): ${w.pv} = ${JSON.stringify(w.value)} via ${w.api}`);
    if (res.notebook_path) out.push(`  notebook: ${res.notebook_path}`);
  } else if (r.resultSummary?.notebookPath) out.push(`  notebook: ${r.resultSummary.notebookPath}`);
  return out;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** One log line for an event (code chunks and output are printed as they come). */
export function eventLine(e: RunEvent): string {
  const t = e.at.slice(11, 23);
  const where = [e.stage, e.attempt ? `#${e.attempt}` : ""].filter(Boolean).join(" ");
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case "code_chunk":
    case "stdout":
    case "stderr":
      return `${t} ${where} ${e.type}: ${String(d.text ?? "").replace(/\n$/, "")}`;
    case "status":
      return `${t} ${where} status: ${String(d.status)}`;
    case "finished":
      return `${t} finished: ${String(d.status)}`;
    default:
      return `${t} ${where} ${e.type}: ${short(d)}`;
  }
}
