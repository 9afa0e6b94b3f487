import type { ErrorChainEntry, Finding, RecordedWrite } from "@pyfleet/core";

/** Longest value shown in a table cell; the full value stays in results.json. */
export const MAX_CELL_CHARS = 200;

/** Makes text safe inside a markdown table cell (pipes, newlines, backticks of code spans). */
export function tableCell(text: string, max = MAX_CELL_CHARS): string {
  const flat = text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A value as compact JSON for display (strings unquoted; non-JSON values via String()). */
export function displayValue(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Markdown table of the results dictionary (`key | value`), or a sentence when empty. */
export function resultsTable(results: Record<string, unknown> | null): string {
  const entries = Object.entries(results ?? {});
  if (entries.length === 0) return "_No results were returned._";
  const rows = entries.map(([k, v]) => `| \`${tableCell(k, 80)}\` | ${tableCell(displayValue(v))} |`);
  return ["| key | value |", "| --- | --- |", ...rows].join("\n");
}

/** Markdown table of the writes a dry run recorded, in order. */
export function recordedWritesTable(writes: RecordedWrite[]): string {
  const rows = [...writes]
    .sort((a, b) => a.order - b.order)
    .map((w) => `| ${w.order} | \`${tableCell(w.pv, 80)}\` | ${tableCell(displayValue(w.value))} | ${tableCell(w.api, 40)} |`);
  return ["| # | PV | value | API |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** Bullet list of analysis findings (`level` `rule` line N: message). */
export function findingsList(findings: Finding[]): string {
  if (findings.length === 0) return "_No findings._";
  return findings
    .map((f) => `- **${f.level}** \`${f.rule}\` (line ${f.line}): ${f.message.replace(/\r?\n/g, " ")}`)
    .join("\n");
}

/** One error-chain entry as a short markdown paragraph with the traceback in a fenced block. */
export function errorBlock(e: ErrorChainEntry): string {
  const head = `**${e.category} / ${e.code}** at stage \`${e.stage}\` (attempt ${e.attempt}): ${e.message}`;
  return e.traceback ? `${head}\n\n\`\`\`text\n${fence(e.traceback)}\n\`\`\`` : head;
}

/** Keeps a fenced block closed even when the text itself holds a fence. */
export function fence(text: string): string {
  return text.replace(/```/g, "`\u200b``");
}
