import { createHash } from "node:crypto";
import { harnessSource, writesModuleSource } from "../harness.js";

let cached: { code: string; sha: string } | undefined;

/**
 * Code run once on every fresh (or restarted) kernel: keeps the harness the kernelspec launcher
 * imported when it is the same file (same sha256), otherwise loads this package's copy from
 * source as module `pyfleet_harness`; then preloads numpy and matplotlib so runs do not pay for
 * the imports. Prints nothing; raises if the harness cannot load.
 */
export function bootstrapCode(): string {
  if (cached) return cached.code;
  const source = harnessSource();
  const sha = createHash("sha256").update(source, "utf8").digest("hex");
  // the write module first: the harness finds it in sys.modules (a source-loaded harness has no folder)
  const modules = [
    { name: "pyfleet_writes", source: writesModuleSource() },
    { name: "pyfleet_harness", source },
  ].map((m) => ({ ...m, sha: createHash("sha256").update(m.source, "utf8").digest("hex"), b64: Buffer.from(m.source, "utf8").toString("base64") }));
  const code = [
    "def __pyfleet_bootstrap(name, sha, b64):",
    "    import base64, sys, types",
    "    m = sys.modules.get(name)",
    "    if m is not None and getattr(m, 'SOURCE_SHA256', None) == sha:",
    "        return",
    "    m = types.ModuleType(name)",
    "    sys.modules[name] = m",
    "    exec(compile(base64.b64decode(b64).decode('utf-8'), '<' + name.replace('_', '-') + '>', 'exec'), m.__dict__)",
    "    m.SOURCE_SHA256 = sha",
    ...modules.map((m) => `__pyfleet_bootstrap('${m.name}', '${m.sha}', '${m.b64}')`),
    "__import__('pyfleet_harness').preload()",
    "del __pyfleet_bootstrap",
  ].join("\n");
  cached = { code, sha };
  return code;
}

/** The execute request of one run: the harness's kernel entry point with the job as base64 JSON. */
export function runCode(job: {
  code: string;
  context: Record<string, unknown> | null;
  mode: string;
  dry_run: boolean;
  max_output_bytes: number;
  write_policy?: unknown;
  describe_writes?: boolean;
}): string {
  const b64 = Buffer.from(JSON.stringify(job), "utf8").toString("base64");
  return `__import__("pyfleet_harness").kernel_run("${b64}")`;
}

/** In-place cleaning for `reset: reset`: clears IPython's namespace and closes figures. */
export const RESET_CODE = [
  "get_ipython().reset(new_session=False)",
  "import sys as _s",
  "_p = _s.modules.get('matplotlib.pyplot')",
  "_p.close('all') if _p else None",
  "del _s, _p",
].join("\n");
