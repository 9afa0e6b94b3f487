import type { RunDetails } from "@pyfleet/client";
import type { RunEvent, RunRecord } from "@pyfleet/core";

/** One line per run for listings. */
export function runLine(r: RunRecord): string {
  const stage = r.stage ? ` ${r.stage}` : "";
  return `${r.runId}  ${r.status.padEnd(17)}${stage.padEnd(10)} ${r.createdAt}  ${r.task.slice(0, 60)}`;
}

/**
 * Human summary of a run: status, error (with the traceback of a failed attempt), results,
 * stdout, figures and notebook as URLs on `baseUrl` (never paths of the server's disk).
 */
export function runSummary(r: RunDetails, baseUrl: string): string[] {
  const at = (url: string) => `${baseUrl.replace(/\/+$/, "")}${url}`;
  const out = [`run ${r.runId}: ${r.status}${r.mode ? ` (${r.mode})` : ""}, ${r.attempts} attempt(s)`];
  if (r.error) out.push(`  error: ${r.error.code}: ${r.error.message}`);
  const last = r.attemptList[r.attemptList.length - 1];
  if (r.status !== "completed" && last?.outcome?.error?.traceback) {
    out.push("  traceback:", ...indent(last.outcome.error.traceback));
  }
  if (r.status === "awaiting_approval") {
    out.push(`  awaiting approval ${r.approvalId ?? ""}: pyfleet approval ${r.approvalId ?? "<id>"} / pyfleet approve ${r.approvalId ?? "<id>"}`);
  }
  const res = r.final?.result;
  if (res) {
    for (const [k, v] of Object.entries(res.results)) out.push(`  results.${k} = ${short(v)}`);
    if (res.stdout) out.push("  stdout:", ...indent(res.stdout));
    if (res.stderr) out.push("  stderr:", ...indent(res.stderr));
    for (const u of res.figure_urls) out.push(`  figure: ${at(u)}`);
    for (const w of res.recorded_writes) out.push(`  recorded write #${w.order} (dry run, not performed): ${w.pv} = ${JSON.stringify(w.value)} via ${w.api}`);
    for (const w of res.writes ?? []) {
      const outcome = w.status === "ok" ? `ok, reads back ${JSON.stringify(w.readback)}` : `${w.status}: ${w.error ?? ""}`;
      out.push(`  write #${w.order}: ${w.pv} = ${JSON.stringify(w.value)} via ${w.api} (${outcome}) at ${w.at}`);
    }
  } else if (last?.outcome?.stdout) out.push("  stdout:", ...indent(last.outcome.stdout));
  if (r.notebookUrl) out.push(`  notebook: ${at(r.notebookUrl)}`);
  return out;
}

function indent(text: string): string[] {
  return text.replace(/\n$/, "").split("\n").map((l) => `    ${l}`);
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
    case "error":
      // Whole messages and tracebacks: a log that cuts them hides the reason a run failed.
      return `${t} ${where} error: ${[d.code, d.message].filter(Boolean).join(": ")}${typeof d.traceback === "string" ? `\n${d.traceback.replace(/\n$/, "")}` : ""}`;
    case "finished":
      return `${t} finished: ${String(d.status)}`;
    default:
      return `${t} ${where} ${e.type}: ${JSON.stringify(d)}`;
  }
}
