import { PyfleetError } from "@pyfleet/core";
import Docker from "dockerode";

/** The command that builds the sandbox image (named in IMAGE_MISSING errors). */
export const BUILD_IMAGE_COMMAND = "bash scripts/build-sandbox-image.sh";
/** The command that starts a local engine (named in BACKEND_UNAVAILABLE errors). */
export const START_ENGINE_COMMAND = "bash scripts/dockerd.sh start";

export interface DockerEndpoint {
  /** `docker.socket` from config; used when `dockerHost` is empty. */
  socket?: string;
  /** A DOCKER_HOST URL (`unix:///path`, `tcp://host:port`); wins over `socket`. */
  dockerHost?: string;
}

/** Where the engine is, for messages: `unix:///run/x.sock` or `tcp://h:p`. */
export function describeEndpoint(ep: DockerEndpoint): string {
  if (ep.dockerHost) return ep.dockerHost;
  return `unix://${ep.socket ?? "/var/run/docker.sock"}`;
}

/**
 * A dockerode client for the endpoint. `DOCKER_HOST` (passed in as `dockerHost`) wins over the
 * configured socket, as with the docker CLI.
 * @throws PyfleetError BACKEND_MISCONFIGURED for a DOCKER_HOST scheme this backend does not speak.
 */
export function dockerClient(ep: DockerEndpoint): Docker {
  const host = ep.dockerHost;
  if (!host) return new Docker({ socketPath: ep.socket ?? "/var/run/docker.sock" });
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) });
  const m = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (m) return new Docker({ host: m[1], port: Number(m[2]) });
  throw new PyfleetError("BACKEND_MISCONFIGURED", `DOCKER_HOST ${host} is not unix:///path or tcp://host:port`);
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);

interface DockerishError {
  code?: string;
  statusCode?: number;
  message?: string;
}

/** Turns a dockerode failure into the fleet's error taxonomy. `operation` names what was tried. */
export function dockerError(err: unknown, operation: string, ctx: { endpoint: string; image: string }): PyfleetError {
  if (err instanceof PyfleetError) return err;
  const e = (err ?? {}) as DockerishError;
  if (e.code && UNREACHABLE.has(e.code)) {
    return new PyfleetError(
      "BACKEND_UNAVAILABLE",
      `the Docker engine at ${ctx.endpoint} is unreachable (${e.code} during ${operation}); start one with \`${START_ENGINE_COMMAND}\` and export the DOCKER_HOST it prints`,
      { cause: err, details: { endpoint: ctx.endpoint, operation } },
    );
  }
  if (e.statusCode === 404 && (operation === "create container" || operation === "inspect image")) {
    return new PyfleetError(
      "IMAGE_MISSING",
      `the sandbox image ${ctx.image} (docker.image) is not on the engine at ${ctx.endpoint}; build it with \`${BUILD_IMAGE_COMMAND}\``,
      { cause: err, details: { image: ctx.image, endpoint: ctx.endpoint } },
    );
  }
  return new PyfleetError(
    "BACKEND_UNAVAILABLE",
    `docker ${operation} failed${e.statusCode ? ` (HTTP ${e.statusCode})` : ""}: ${e.message ?? String(err)}`,
    { cause: err, details: { endpoint: ctx.endpoint, operation, statusCode: e.statusCode ?? null } },
  );
}
