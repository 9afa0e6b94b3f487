import { LocalExecutor } from "../../local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../../options.js";
import { defineHostileSuite } from "./define-hostile-suite.js";
import { HOSTILE_LIMITS } from "./hostile-limits.js";
import { VENV } from "./hostile-prerequisites.js";

// The local backend with `isolation: spawn`: one bubblewrap sandbox and one gate session per run.
defineHostileSuite({
  name: "local-spawn",
  reads: true,
  gateRecord: true,
  async start({ caUpstreams, secrets }) {
    const executor = new LocalExecutor({
      local: { ...DEFAULT_EXECUTION_OPTIONS.execution.local, python_env_path: VENV, ...HOSTILE_LIMITS.local },
      sandbox: { ...DEFAULT_EXECUTION_OPTIONS.execution.sandbox, ...HOSTILE_LIMITS.sandbox },
      caUpstreams,
      maxStdoutBytes: HOSTILE_LIMITS.maxStdoutBytes,
      maxResultBytes: HOSTILE_LIMITS.maxResultBytes,
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", ...secrets },
    });
    return { executor, close: () => executor.close() };
  },
});
