import { ServerConnection } from "@jupyterlab/services";
import { type GateRecord, GateRecordSchema, PyfleetError } from "@pyfleet/core";
import type { GateManifest } from "../sandbox/ca-gate.js";

/**
 * The CA gate of one sandboxed kernel, driven per run (docs/security.md §3): the gate runs in the
 * kernel's launcher (jupyter/pyfleet_kernel.py), outside the kernel's sandbox, and the executor
 * reaches it through the Jupyter server (`POST /pyfleet/kernels/<id>/gate`, registered by
 * jupyter/jupyter_server_config.py; the server's token authenticates it).
 *
 * `begin` sets the run's manifest before its code runs (a write kernel admits nothing until
 * then); `end` resets it to "nothing" and returns what the gate saw, so a pooled kernel's next
 * run never writes under this run's manifest.
 */
export class KernelGate {
  private constructor(
    private readonly settings: ServerConnection.ISettings,
    private readonly kernelId: string,
  ) {}

  /**
   * Sets the run's manifest on the kernel's gate.
   * @returns the gate, or undefined when the kernel has none (unsandboxed, or no CA upstream:
   *   `reason` says which may apply).
   * @throws PyfleetError `BACKEND_MISCONFIGURED` when the server lacks the endpoint;
   *   `KERNEL_UNAVAILABLE` / `BACKEND_UNAVAILABLE` when the kernel or its gate does not answer.
   */
  static async begin(settings: ServerConnection.ISettings, kernelId: string, manifest: GateManifest): Promise<KernelGate | { none: string }> {
    const reply = await call(settings, kernelId, { op: "begin", manifest });
    if (reply.gate !== true) return { none: String(reply.reason ?? "the kernel has no CA gate") };
    return new KernelGate(settings, kernelId);
  }

  /** Resets the manifest to "nothing" and returns every write the gate saw since {@link begin}. */
  async end(): Promise<GateRecord> {
    const reply = await call(this.settings, this.kernelId, { op: "end" });
    if (reply.gate !== true) throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${this.kernelId} lost its CA gate during the run`);
    return GateRecordSchema.parse({ writes: reply.writes, refused: reply.refused });
  }
}

async function call(settings: ServerConnection.ISettings, kernelId: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const url = `${settings.baseUrl.replace(/\/?$/, "/")}pyfleet/kernels/${encodeURIComponent(kernelId)}/gate`;
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, { method: "POST", body: JSON.stringify(body) }, settings);
  } catch (err) {
    throw new PyfleetError("BACKEND_UNAVAILABLE", `the Jupyter server did not answer for kernel ${kernelId}'s CA gate: ${String(err)}`, { cause: err });
  }
  const text = await response.text();
  if (response.status === 404 && !text.includes("no kernel")) {
    throw new PyfleetError(
      "BACKEND_MISCONFIGURED",
      `the Jupyter server at ${settings.baseUrl} has no pyfleet CA gate endpoint (POST /pyfleet/kernels/<id>/gate): start it with --config jupyter/jupyter_server_config.py (scripts/jupyter.sh does)`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new PyfleetError("BACKEND_MISCONFIGURED", `Jupyter refused the token for the CA gate endpoint (HTTP ${response.status}); check execution.container.jupyter_token_env`);
  }
  if (!response.ok) {
    throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${kernelId}'s CA gate: Jupyter answered HTTP ${response.status}: ${text.slice(0, 400)}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new PyfleetError("KERNEL_UNAVAILABLE", `kernel ${kernelId}'s CA gate answered something that is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
}
