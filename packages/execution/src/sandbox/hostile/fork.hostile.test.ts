import { ForkServerExecutor } from "../../fork/fork-server-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../../options.js";
import { defineHostileSuite } from "./define-hostile-suite.js";
import { HOSTILE_LIMITS } from "./hostile-limits.js";
import { VENV } from "./hostile-prerequisites.js";

// The fork server (the default local mode): one sandboxed parent per mode, a fresh child per run,
// the gate serving the parent's network namespace.
defineHostileSuite({
  name: "fork-server",
  reads: true,
  gateRecord: true,
  async start({ mode, caUpstreams, secrets }) {
    const local = { ...DEFAULT_EXECUTION_OPTIONS.execution.local, python_env_path: VENV, ...HOSTILE_LIMITS.local };
    const executor = new ForkServerExecutor({
      mode,
      local,
      forkServer: { ...local.fork_server, preload: ["numpy", "epics"] },
      sandbox: { ...DEFAULT_EXECUTION_OPTIONS.execution.sandbox, ...HOSTILE_LIMITS.sandbox },
      caUpstreams,
      maxStdoutBytes: HOSTILE_LIMITS.maxStdoutBytes,
      maxResultBytes: HOSTILE_LIMITS.maxResultBytes,
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", ...secrets },
    });
    await executor.warm();
    return { executor, close: () => executor.close() };
  },
});
