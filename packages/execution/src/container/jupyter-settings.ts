import { ServerConnection } from "@jupyterlab/services";
import { PyfleetError } from "@pyfleet/core";
import WebSocket from "ws";
import type { ContainerOptions } from "../options.js";

/** Where the Jupyter server is and how to authenticate. */
export interface JupyterEndpoint {
  baseUrl: string;
  wsUrl: string;
  token: string;
}

/**
 * The endpoint of `execution.container`: host, port, https and the token from the env var named
 * by `jupyter_token_env`.
 */
export function endpointFromOptions(container: ContainerOptions, env: NodeJS.ProcessEnv = process.env): JupyterEndpoint {
  const host = container.jupyter_host.includes(":") ? `[${container.jupyter_host}]` : container.jupyter_host;
  const http = container.use_https ? "https" : "http";
  const ws = container.use_https ? "wss" : "ws";
  return {
    baseUrl: `${http}://${host}:${container.jupyter_port}/`,
    wsUrl: `${ws}://${host}:${container.jupyter_port}/`,
    token: env[container.jupyter_token_env] ?? "",
  };
}

/** @jupyterlab/services settings for Node 20: global fetch, `ws` as the WebSocket, token auth. */
export function makeServerSettings(endpoint: JupyterEndpoint): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: endpoint.baseUrl,
    wsUrl: endpoint.wsUrl,
    token: endpoint.token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}

/** Maps a REST failure to an infrastructure error (unreachable server) or a configuration error (auth). */
export function jupyterError(err: unknown, what: string): PyfleetError {
  if (err instanceof PyfleetError) return err;
  if (err instanceof ServerConnection.ResponseError) {
    const status = err.response.status;
    if (status === 401 || status === 403) {
      return new PyfleetError("BACKEND_MISCONFIGURED", `${what}: Jupyter refused the token (HTTP ${status}); check execution.container.jupyter_token_env`, { cause: err });
    }
    if (status === 404) {
      return new PyfleetError("BACKEND_MISCONFIGURED", `${what}: not found on the Jupyter server (HTTP 404): is the kernelspec installed?`, { cause: err });
    }
    return new PyfleetError("KERNEL_UNAVAILABLE", `${what}: Jupyter answered HTTP ${status}: ${err.message}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PyfleetError("BACKEND_UNAVAILABLE", `${what}: Jupyter server unreachable: ${message}`, { cause: err });
}
