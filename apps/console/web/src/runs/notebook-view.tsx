import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { stripAnsi } from "../format.js";
import { CodeView } from "../ui/code-view.js";

interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: Output[];
}
interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

const joined = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : (s ?? ""));

/**
 * A Jupyter notebook rendered read-only: markdown as text blocks (never as HTML: notebooks
 * hold model-written text), code with colouring, and outputs (streams, PNG figures, text
 * results, tracebacks).
 */
export function NotebookView({ path, label }: { path: string; label: string }) {
  const [nb, setNb] = useState<{ cells: Cell[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setNb(null);
    setError(null);
    api.json<{ cells: Cell[] }>("producer", path).then(setNb, (e: Error) => setError(e.message));
  }, [path]);
  if (error) return <p class="err">Notebook: {error}</p>;
  if (!nb) return <p class="muted">Loading notebook…</p>;
  return (
    <section class="notebook" aria-label={label}>
      {nb.cells.map((c, i) => (
        <div class={`nb-cell nb-${c.cell_type}`} key={i}>
          {c.cell_type === "markdown" ? (
            <Markdown text={joined(c.source)} />
          ) : c.cell_type === "code" ? (
            <>
              <CodeView code={joined(c.source)} label={`${label}, cell ${i + 1}`} />
              {(c.outputs ?? []).map((o, j) => (
                <NbOutput o={o} key={j} />
              ))}
            </>
          ) : (
            <pre>{joined(c.source)}</pre>
          )}
        </div>
      ))}
    </section>
  );
}

function NbOutput({ o }: { o: Output }) {
  if (o.output_type === "stream") return <pre class={`out out-${o.name ?? "stdout"}`}>{joined(o.text)}</pre>;
  if (o.output_type === "error") return <pre class="out out-error">{stripAnsi((o.traceback ?? [`${o.ename}: ${o.evalue}`]).join("\n"))}</pre>;
  const png = o.data?.["image/png"];
  if (png) return <img class="figure" alt="notebook figure" src={`data:image/png;base64,${joined(png).replace(/\s/g, "")}`} />;
  const text = o.data?.["text/plain"];
  return text ? <pre class="out">{joined(text)}</pre> : null;
}

/** Headings, lists and paragraphs of a markdown cell, as text. */
function Markdown({ text }: { text: string }) {
  return (
    <div class="md">
      {text.split(/\n{2,}/).map((block, i) => {
        const h = /^(#{1,6})\s+(.*)$/s.exec(block);
        if (h) {
          const level = Math.min(6, (h[1]?.length ?? 1) + 2);
          const Tag = `h${level}` as "h3";
          return <Tag key={i}>{h[2]}</Tag>;
        }
        return (
          <p key={i} class="pre-wrap">
            {block}
          </p>
        );
      })}
    </div>
  );
}
