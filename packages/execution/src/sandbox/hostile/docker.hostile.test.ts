import { ensureDockerSandbox } from "@pyfleet/testing";
import { DockerExecutor } from "../../docker/docker-executor.js";
import { resolveExecutionOptions } from "../../options.js";
import { defineHostileSuite } from "./define-hostile-suite.js";
import { HOSTILE_LIMITS } from "./hostile-limits.js";

// The docker backend: one hardened container per run (--network none, read-only root, no
// capabilities, non-root, limits). It has no Channel Access at all, so reads fail too.
defineHostileSuite({
  name: "docker",
  reads: false,
  gateRecord: "a docker sandbox has no network, so no CA gate (write runs are refused on docker)",
  async start({ secrets }) {
    const { dockerHost } = await ensureDockerSandbox();
    // the worker's own environment holds the secrets: none may reach a container
    Object.assign(process.env, secrets);
    const options = resolveExecutionOptions({
      docker: { memory_mb: HOSTILE_LIMITS.local.memory_limit_mb, pids_limit: HOSTILE_LIMITS.sandbox.max_processes },
      limits: { max_stdout_bytes: HOSTILE_LIMITS.maxStdoutBytes, max_result_bytes: HOSTILE_LIMITS.maxResultBytes },
    });
    const executor = await DockerExecutor.create({ dockerHost, options });
    return { executor, close: () => executor.close() };
  },
});
