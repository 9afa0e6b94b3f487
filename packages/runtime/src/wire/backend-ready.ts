import { type Env, PyfleetError, type PyfleetConfig } from "@pyfleet/core";
import { resolveInterpreter } from "@pyfleet/execution";

/**
 * Checks that the configured execution backend answers (for `/readyz`): the local interpreter
 * exists, or the Jupyter server's `/api/status` replies. The docker engine is checked on first use.
 * @throws PyfleetError `BACKEND_UNAVAILABLE` naming what did not answer.
 */
export async function checkBackend(config: PyfleetConfig, env: Env): Promise<void> {
  const { execution } = config;
  if (execution.execution_method === "local") {
    await resolveInterpreter(execution.local.python_env_path);
    return;
  }
  if (execution.execution_method !== "container") return;
  const c = execution.container;
  const url = `${c.use_https ? "https" : "http"}://${c.jupyter_host}:${c.jupyter_port}/api/status`;
  const token = env[c.jupyter_token_env];
  try {
    const res = await fetch(url, { headers: token ? { authorization: `token ${token}` } : {}, signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new PyfleetError("BACKEND_UNAVAILABLE", `Jupyter server at ${url} does not answer: ${(err as Error).message}`, { cause: err });
  }
}
