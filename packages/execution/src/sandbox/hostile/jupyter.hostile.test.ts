import { startJupyterFixture } from "@pyfleet/testing";
import { ContainerExecutor } from "../../container/container-executor.js";
import { makeServerSettings } from "../../container/jupyter-settings.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../../options.js";
import { defineHostileSuite } from "./define-hostile-suite.js";
import { HOSTILE_LIMITS } from "./hostile-limits.js";

// The container backend: pooled Jupyter kernels, each started by jupyter/pyfleet_kernel.py inside
// bubblewrap (ZMQ over IPC) with the CA gate in the launcher, restarted after every run; the
// executor sets each run's manifest on that gate and takes its record through the server.
defineHostileSuite({
  name: "jupyter",
  reads: true,
  gateRecord: true,
  async start({ mode, caUpstreams, secrets }) {
    const jupyter = await startJupyterFixture({
      env: {
        EPICS_CA_ADDR_LIST: caUpstreams.join(" "),
        EPICS_CA_AUTO_ADDR_LIST: "NO",
        // a kernel has more threads (ZMQ, IPython, libca) than a one-shot run: more address space
        PYFLEET_KERNEL_MEMORY_MB: "1536",
        PYFLEET_KERNEL_MAX_PROCESSES: String(HOSTILE_LIMITS.sandbox.max_processes),
        PYFLEET_KERNEL_MAX_FILE_MB: String(HOSTILE_LIMITS.sandbox.max_file_mb),
        PYFLEET_KERNEL_TMP_MB: String(HOSTILE_LIMITS.sandbox.tmp_mb),
        PYFLEET_KERNEL_WORK_MB: "64",
        ...secrets,
      },
    });
    const executor = new ContainerExecutor({
      kernelName: DEFAULT_EXECUTION_OPTIONS.execution.modes[mode].kernel_name,
      mode,
      settings: makeServerSettings(jupyter),
      container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1, reset: "restart" },
      maxStdoutBytes: HOSTILE_LIMITS.maxStdoutBytes,
      maxResultBytes: HOSTILE_LIMITS.maxResultBytes,
    });
    return {
      executor,
      secrets: [jupyter.token],
      async close() {
        await executor.close();
        await jupyter.close();
      },
    };
  },
});
