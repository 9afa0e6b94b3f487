import type { ArtifactRef, ExecutionResult, PublicResult, PublicRun } from "@pyfleet/core";
import type { RunDetails } from "@pyfleet/fleet";

/**
 * Turns a run's details into its public view. Paths inside the run folder become
 * `{ path: <relative>, url: /v1/runs/<id>/artifacts/<relative> }`; a path outside it (which the
 * artifact route would refuse anyway) is dropped.
 */
export function publicRun(d: RunDetails): PublicRun {
  const ref = (p: string | null | undefined): ArtifactRef | null => artifactRef(d.runId, d.folderPath, p);
  const { folderPath: _folder, attemptList, final, approval, resultSummary, ...rest } = d;
  const finalNotebook = ref(final?.result?.notebook_path ?? resultSummary?.notebookPath ?? null);
  return {
    ...rest,
    attemptList: attemptList.map((a) => {
      const { notebookPath, outcome, ...attempt } = a;
      return {
        ...attempt,
        notebook: ref(notebookPath),
        outcome: outcome
          ? { ...outcome, figures: outcome.figures.map((f) => ({ name: f.name, mime: f.mime, url: ref(f.path)?.url ?? null })) }
          : null,
      };
    }),
    final: final
      ? {
          ...final,
          result: final.result ? publicResult(final.result, ref) : null,
        }
      : null,
    approval: approval
      ? (() => {
          const { notebookPath, ...a } = approval;
          return { ...a, notebook: ref(notebookPath) };
        })()
      : null,
    resultSummary: resultSummary
      ? (() => {
          const { notebookPath, ...s } = resultSummary;
          return { ...s, notebook: ref(notebookPath) };
        })()
      : null,
    notebookUrl: finalNotebook ? `/v1/runs/${encodeURIComponent(d.runId)}/notebook` : null,
  };
}

function publicResult(r: ExecutionResult, ref: (p: string | null | undefined) => ArtifactRef | null): PublicResult {
  const { folder_path: _f, notebook_path, figure_paths, ...rest } = r;
  const nb = ref(notebook_path);
  const figs = figure_paths.map((p) => ref(p)).filter((x): x is ArtifactRef => x !== null);
  return { ...rest, notebook_path: nb?.path ?? null, notebook_url: nb?.url ?? null, figure_paths: figs.map((f) => f.path), figure_urls: figs.map((f) => f.url) };
}

/** `path` relative to `folder` with its artifact URL, or null when it is not inside the folder. */
export function artifactRef(runId: string, folder: string | null, path: string | null | undefined): ArtifactRef | null {
  if (!path || !folder) return null;
  const f = folder.endsWith("/") ? folder : `${folder}/`;
  const rel = path.startsWith(f) ? path.slice(f.length) : path.startsWith("/") ? null : path;
  if (!rel || rel.split("/").some((s) => s === ".." || s === "")) return null;
  return { path: rel, url: `/v1/runs/${encodeURIComponent(runId)}/artifacts/${rel.split("/").map(encodeURIComponent).join("/")}` };
}
