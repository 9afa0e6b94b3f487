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
