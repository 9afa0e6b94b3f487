import replyFrom from "@fastify/reply-from";
import fastifyStatic from "@fastify/static";
import type { Logger } from "@pyfleet/core";
import { createService, errorBody } from "@pyfleet/service-kit";
import type { FastifyInstance } from "fastify";

/** What the console server needs: where the two APIs are and the built page. */
export interface ConsoleDeps {
  /** Producer base URL (runs, events, artifacts, notebooks). */
  producerUrl: string;
  /** Approver base URL (approvals, decisions, audit, who am I). */
  approverUrl: string;
  /** Folder of the built page ({@link webRoot}). */
  webRoot: string;
  logger: Logger;
}

/** Upstream routes the page may call, by prefix: everything else under /api is a 404. */
const UPSTREAMS = ["producer", "approver"] as const;

/**
 * The console's HTTP server: the built page, and `/api/producer/*` and `/api/approver/*` passed
 * through to the two services unchanged (Authorization header included, responses streamed, so
 * SSE works). It holds no token and no Redis connection: each service checks the caller's token
 * itself with the shared `TokenAuth`, and the page gets one origin for both.
 */
export async function createConsoleServer(deps: ConsoleDeps): Promise<FastifyInstance> {
  const app = createService({
    logger: deps.logger,
    logLevel: "warn",
    // Bodies are passed through as they are (decisions are small; the producer enforces its limit).
    bodyLimit: 20 * 1024 * 1024,
    service: "console",
    bodyLimitSetting: "the console's pass-through limit (20 MiB)",
  });
  app.get("/healthz", async () => ({ ok: true }));
  for (const name of UPSTREAMS) {
    const base = (name === "producer" ? deps.producerUrl : deps.approverUrl).replace(/\/+$/, "");
    await app.register(async (scope) => {
      // Bodies reach the upstream byte for byte (no JSON re-encoding on the way).
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
      await scope.register(replyFrom, { base, undici: { headersTimeout: 0, bodyTimeout: 0 } });
      scope.all("/*", (req, reply) => {
        const rest = req.url.slice(`/api/${name}`.length) || "/";
        return reply.from(rest, {
          rewriteRequestHeaders: (_r, headers) => {
            const { host: _h, ...h } = headers;
            return h;
          },
        });
      });
    }, { prefix: `/api/${name}` });
  }
  await app.register(fastifyStatic, { root: deps.webRoot, prefix: "/", index: ["index.html"], wildcard: false });
  // Any other page path is the single-page app (its router reads the hash). A route, not a
  // not-found handler: the service kit owns that one (Fastify allows one per prefix).
  app.get("/*", (req, reply) => {
    if (req.url.startsWith("/api/")) return reply.status(404).send(errorBody("NOT_FOUND", `no console API at ${req.url}`));
    return reply.type("text/html; charset=utf-8").sendFile("index.html");
  });
  return app as unknown as FastifyInstance;
}
