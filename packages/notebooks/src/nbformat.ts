/**
 * The subset of nbformat 4.5 that pyfleet writes, and builders for its cells.
 * Schema: https://github.com/jupyter/nbformat/blob/main/nbformat/v4/nbformat.v4.5.schema.json
 */

/** Multiline text as nbformat stores it: lines that keep their trailing newline. */
export type MultilineString = string[];

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}

export interface DisplayDataOutput {
  output_type: "display_data";
  data: Record<string, string | MultilineString>;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ErrorOutput;

export interface CellMetadata {
  tags?: string[];
  [key: string]: unknown;
}

export interface MarkdownCell {
  cell_type: "markdown";
  id: string;
  metadata: CellMetadata;
  source: MultilineString;
}

export interface CodeCell {
  cell_type: "code";
  id: string;
  metadata: CellMetadata;
  source: MultilineString;
  execution_count: number | null;
  outputs: Output[];
}

export type Cell = MarkdownCell | CodeCell;

export interface KernelSpecInfo {
  name: string;
  display_name: string;
  language: "python";
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: 5;
  metadata: {
    kernelspec: KernelSpecInfo;
    language_info: { name: "python" };
    pyfleet: Record<string, unknown>;
  };
  cells: Cell[];
}

/** Tag that lets `nbconvert --execute` run past a cell that raises (nbclient honours it). */
export const RAISES_EXCEPTION_TAG = "raises-exception";

/** The read-only kernel: notebooks default to it so re-running one can never write to the machine. */
export const DEFAULT_KERNEL: KernelSpecInfo = {
  name: "python3-epics-readonly",
  display_name: "Python 3 (EPICS read-only)",
  language: "python",
};

/** Splits text into nbformat lines (each keeps its `\n`; the last may lack one). */
export function toMultiline(text: string): MultilineString {
  if (text === "") return [];
  const lines = text.split("\n");
  const out = lines.map((line, i) => (i < lines.length - 1 ? `${line}\n` : line));
  if (out[out.length - 1] === "") out.pop();
  return out;
}

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

function checkId(id: string): string {
  if (!CELL_ID.test(id)) throw new Error(`invalid nbformat cell id: ${JSON.stringify(id)}`);
  return id;
}

/** A markdown cell with a fixed id (ids are stable so notebooks of the same run diff cleanly). */
export function markdownCell(id: string, text: string): MarkdownCell {
  return { cell_type: "markdown", id: checkId(id), metadata: {}, source: toMultiline(text) };
}

/** A code cell; `executionCount` is null for code that never ran. */
export function codeCell(
  id: string,
  source: string,
  opts: { outputs?: Output[]; executionCount?: number | null; tags?: string[] } = {},
): CodeCell {
  const metadata: CellMetadata = opts.tags && opts.tags.length > 0 ? { tags: [...opts.tags] } : {};
  return {
    cell_type: "code",
    id: checkId(id),
    metadata,
    source: toMultiline(source),
    execution_count: opts.executionCount ?? null,
    outputs: opts.outputs ?? [],
  };
}

/** Assembles a notebook; throws when two cells share an id (the schema requires unique ids). */
export function notebook(cells: Cell[], kernel: KernelSpecInfo, pyfleet: Record<string, unknown>): Notebook {
  const seen = new Set<string>();
  for (const c of cells) {
    if (seen.has(c.id)) throw new Error(`duplicate nbformat cell id: ${c.id}`);
    seen.add(c.id);
  }
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { ...kernel }, language_info: { name: "python" }, pyfleet },
    cells,
  };
}

/** The JSON text of a notebook, formatted like Jupyter writes it (indent 1, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}
