import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthServerDeps {
  registry: Registry;
  /** Resolves when the process can do work (Redis answers, backend reachable). */
  ready(): Promise<void>;
}

/** `/healthz` (alive), `/readyz` (dependencies answer), `/metrics` (Prometheus text). */
export async function startHealthServer(deps: HealthServerDeps, port: number, host = "0.0.0.0"): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (path === "/healthz") return send(200, "application/json", '{"ok":true}');
    if (path === "/readyz") {
      deps.ready().then(
        () => send(200, "application/json", '{"ready":true}'),
        (err: unknown) => send(503, "application/json", JSON.stringify({ ready: false, error: err instanceof Error ? err.message : String(err) })),
      );
      return;
    }
    if (path === "/metrics") {
      deps.registry.metrics().then(
        (text) => send(200, deps.registry.contentType, text),
        (err: unknown) => send(500, "text/plain", String(err)),
      );
      return;
    }
    send(404, "application/json", '{"error":{"code":"NOT_FOUND","message":"unknown path"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
