import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { PyfleetError } from "@pyfleet/core";

/**
 * Resolves `requested` inside `root`, refusing anything that could leave it: `..` segments,
 * absolute paths, NUL bytes, backslashes, and symlinks pointing outside.
 * @throws PyfleetError `VALIDATION_FAILED` (path) for a traversal attempt, `NOT_FOUND` when missing.
 */
export async function resolveArtifact(root: string, requested: string): Promise<string> {
  const bad = (message: string) =>
    new PyfleetError("VALIDATION_FAILED", `invalid artifact path: ${message}`, { issues: [{ path: "path", message }] });
  if (requested === "" || requested.includes("\0") || requested.includes("\\")) throw bad("empty or holds NUL/backslash");
  if (isAbsolute(requested) || requested.split("/").some((s) => s === ".." || s === ".")) throw bad("must be relative, without . or .. segments");
  const base = await realpath(root).catch(() => {
    throw new PyfleetError("NOT_FOUND", "the run has no artifact folder");
  });
  const target = resolve(base, requested);
  const real = await realpath(target).catch(() => {
    throw new PyfleetError("NOT_FOUND", `artifact ${requested} not found`);
  });
  const rel = relative(base, real);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) throw bad("leaves the run folder");
  if (!(await stat(real)).isFile()) throw new PyfleetError("NOT_FOUND", `artifact ${requested} is not a file`);
  return real;
}

/** Content type by extension for the files a run folder holds. */
export function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  const types: Record<string, string> = {
    png: "image/png",
    json: "application/json",
    ipynb: "application/x-ipynb+json",
    py: "text/x-python; charset=utf-8",
    txt: "text/plain; charset=utf-8",
    md: "text/markdown; charset=utf-8",
    log: "text/plain; charset=utf-8",
  };
  return types[ext] ?? "application/octet-stream";
}
