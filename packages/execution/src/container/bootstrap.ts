import { createHash } from "node:crypto";
import { harnessSource } from "../harness.js";

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
  const b64 = Buffer.from(source, "utf8").toString("base64");
  const code = [
    "def __pyfleet_bootstrap():",
    "    import base64, sys, types",
    "    m = sys.modules.get('pyfleet_harness')",
    `    if m is not None and getattr(m, 'SOURCE_SHA256', None) == '${sha}':`,
    "        return",
    "    m = types.ModuleType('pyfleet_harness')",
    "    sys.modules['pyfleet_harness'] = m",
    `    exec(compile(base64.b64decode('${b64}').decode('utf-8'), '<pyfleet-harness>', 'exec'), m.__dict__)`,
    `    m.SOURCE_SHA256 = '${sha}'`,
    "__pyfleet_bootstrap()",
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
