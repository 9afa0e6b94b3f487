import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { buildManifest, silentLogger } from "@pyfleet/core";
import { afterEach, describe, expect, it } from "vitest";
import { WebhookNotifier, webhookSignature } from "./webhook-notifier.js";

const approval = {
  id: "a1",
  runId: "r1",
  attempt: 1,
  status: "pending" as const,
  executionMode: "write_access" as const,
  task: "t",
  codeHash: "0".repeat(64),
  pvWrites: [],
  manifest: buildManifest({
    recorded: [{ pv: "SR:MAG:QF1:CURRENT_SP", value: 102.5, api: "epics.caput", order: 1 }],
    targets: [
      {
        pv: "SR:MAG:QF1:CURRENT_SP",
        connected: true,
        current: 101,
        units: "A",
        precision: 1,
        limits: { low: 0, high: 150, source: "DRVL/DRVH" },
        error: null,
      },
    ],
    builtAt: "2026-01-01T00:00:00Z",
    backend: "local",
    dryRunMs: 12,
  }),
  requester: "carol",
  createdAt: "2026-01-01T00:00:00Z",
  expiresAt: "2026-01-01T01:00:00Z",
  requiredApprovals: 1,
  approvals: 0,
};

describe("WebhookNotifier", () => {
  const servers: Array<{ close: () => void }> = [];
  afterEach(() => {
    for (const s of servers) s.close();
  });

  async function hook(statuses: number[]) {
    const got: Array<{ body: string; sig: string | undefined }> = [];
    const srv = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const c of req) body += c;
      got.push({ body, sig: req.headers["x-pyfleet-signature"] as string | undefined });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    servers.push(srv);
    return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`, got };
  }

  it("retries 5xx with backoff and signs the body", async () => {
    const h = await hook([503, 500, 200]);
    const n = new WebhookNotifier([{ url: h.url, secret: "s3cret" }], silentLogger(), { backoffMs: 10 });
    n.notify({ kind: "pending", approval });
    await n.close();
    expect(h.got).toHaveLength(3);
    const last = h.got[2]!;
    expect(JSON.parse(last.body)).toMatchObject({
      type: "approval.pending",
      approval: { id: "a1", manifest: { pvs: ["SR:MAG:QF1:CURRENT_SP"] } },
      manifestTable: "SR:MAG:QF1:CURRENT_SP  101.0 A → 102.5 A  (limits 0 … 150 A)",
    });
    expect(last.sig).toBe(webhookSignature("s3cret", last.body));
  });

  it("does not retry a 4xx and honours the event filter", async () => {
    const h = await hook([400]);
    const n = new WebhookNotifier([{ url: h.url, events: ["pending"] }], silentLogger(), { backoffMs: 10 });
    n.notify({ kind: "decided", approval });
    n.notify({ kind: "pending", approval });
    await n.close();
    expect(h.got).toHaveLength(1);
    expect(JSON.parse(h.got[0]!.body).type).toBe("approval.pending");
    expect(h.got[0]!.sig).toBeUndefined();
  });
});
