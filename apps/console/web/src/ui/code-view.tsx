import type { Finding, PvAccess } from "../types.js";
import { tokenize } from "./python-tokens.js";

export interface CodeViewProps {
  code: string;
  findings?: Finding[];
  writes?: PvAccess[];
  reads?: PvAccess[];
  /** Accessible name of the listing, e.g. "Code of attempt 1". */
  label: string;
}

/**
 * Python with line numbers, analysis findings inline under their line, control-system writes
 * highlighted (red band and a WRITE tag) and reads marked (blue edge and a READ tag).
 */
export function CodeView({ code, findings = [], writes = [], reads = [], label }: CodeViewProps) {
  const byLine = new Map<number, Finding[]>();
  for (const f of findings) byLine.set(f.line, [...(byLine.get(f.line) ?? []), f]);
  const writeAt = new Map<number, PvAccess[]>();
  for (const w of writes) writeAt.set(w.line, [...(writeAt.get(w.line) ?? []), w]);
  const readAt = new Map<number, PvAccess[]>();
  for (const r of reads) readAt.set(r.line, [...(readAt.get(r.line) ?? []), r]);
  const lines = code.replace(/\n$/, "").split("\n");
  return (
    <section class="code" aria-label={label}>
      <ol class="code-lines">
        {lines.map((line, i) => {
          const n = i + 1;
          const w = writeAt.get(n);
          const r = readAt.get(n);
          const fs = byLine.get(n) ?? [];
          const cls = ["ln", w ? "write" : "", r && !w ? "read" : "", fs.some((f) => f.level === "block") ? "blocked" : ""].filter(Boolean).join(" ");
          return (
            <li class={cls} key={n} data-line={n}>
              <code>
                {tokenize(line).map((t, j) => (t.kind ? <span class={`tok-${t.kind}`} key={j}>{t.text}</span> : t.text))}
              </code>
              {w && <span class="tag tag-write">WRITE {w.map((x) => x.pv ?? "(dynamic PV)").join(", ")}</span>}
              {r && !w && <span class="tag tag-read">READ {r.map((x) => x.pv ?? "(dynamic PV)").join(", ")}</span>}
              {fs.map((f, j) => (
                <div class={`finding finding-${f.level}`} key={`f${j}`}>
                  <strong>{f.level}</strong> {f.rule}: {f.message}
                </div>
              ))}
            </li>
          );
        })}
      </ol>
      {(byLine.get(0) ?? []).map((f, j) => (
        <div class={`finding finding-${f.level}`} key={`w${j}`}>
          <strong>{f.level}</strong> {f.rule} (whole file): {f.message}
        </div>
      ))}
    </section>
  );
}
