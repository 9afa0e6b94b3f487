import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { codeHash } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApproverMetrics } from "./approver-metrics.js";
import type { RunningApprover } from "./start-approver.js";
import { startTestApprover } from "./test-approver.test-helpers.js";

const SECRET = "webhook-secret-for-the-test-0001";
const CODE = "import epics\nepics.caput('SR:C01:HCM', 0.25)\nresults = {'set': 0.25}\n";

interface Delivery {
  body: string;
  signature: string | undefined;
}

/** Reads server-sent events from a fetch body, one `{ event, data }` per block. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  return {
    async next(): Promise<{ event: string; data: any }> {
      for (;;) {
        const end = buf.indexOf("\n\n");
        if (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) return { event, data: JSON.parse(data) };
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("event stream ended");
        buf += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe("approver events, webhooks, health and metrics (real fleet, real HTTP)", () => {
  let t: TestFleet;
  let fleet: Fleet;
  const approverMetrics = createApproverMetrics();
  let approver: RunningApprover;
  let receiver: Server;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    receiver = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const c of req) body += c;
      deliveries.push({ body, signature: req.headers["x-pyfleet-signature"] as string | undefined });
      res.end();
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    t = await startTestFleet({
      tag: "apprnotify",
      stages: ["analyze", "execute"],
      // read_only: the write manifest's dry run runs on the read-only executor
      modes: ["read_only", "write_access"],
      decides: true,
      observer: approverMetrics.observer,
      env: { PYFLEET_TEST_HOOK_SECRET: SECRET },
      configure: (c) => {
        c.approver.webhooks = [
          { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret_env: "PYFLEET_TEST_HOOK_SECRET", events: ["pending", "decided"] },
        ];
      },
    });
    ({ fleet } = t);
    approver = await startTestApprover(t.config, t.runtime, t.env, { "alice-token-0001": { identity: "alice", roles: ["approver"] } }, approverMetrics.registry);
  }, 60_000);
  afterAll(async () => {
    await approver?.close();
    await t?.cleanup();
    await new Promise((r) => receiver?.close(r));
  });

  const metrics = async () => {
    const r = await fetch(`${approver.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    return r.text();
  };
  const pendingGauge = (text: string) => Number(/^pyfleet_approvals_pending (\d+)$/m.exec(text)?.[1]);
  const deliveryOf = async (type: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const d = deliveries.find((x) => JSON.parse(x.body).type === type);
      if (d) return d;
      if (Date.now() > deadline) throw new Error(`no ${type} webhook; got ${deliveries.map((x) => x.body).join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Checks the signature header with the configured secret, independently of the notifier's code. */
  const signedWithSecret = (d: Delivery) => {
    const want = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(d.body, "utf8").digest("hex")}`);
    const got = Buffer.from(d.signature ?? "");
    return got.length === want.length && timingSafeEqual(got, want);
  };

  it("answers /healthz and /metrics without a token", async () => {
    const h = await fetch(`${approver.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ ok: true });
    const text = await metrics();
    expect(text).toContain("# TYPE pyfleet_approvals_pending gauge");
    expect(pendingGauge(text)).toBe(0);
    expect(text).toContain("process_cpu_seconds_total");
  });

  it("a parked run and its approval reach the event stream (pending, decided), the webhook (signed) and the pending gauge", async () => {
    const sse = await fetch(`${approver.url}/v1/approvals/events`, { headers: { authorization: "Bearer alice-token-0001" } });
    expect(sse.status).toBe(200);
    const events = sseReader(sse.body as ReadableStream<Uint8Array>);
    try {
      const { runId } = await fleet.submit({ user_query: "q", task_objective: "Set SR:C01:HCM", code: CODE, dry_run: true }, { requester: "carol" });
      const parked = await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval");
      const pending = await events.next();
      expect(pending).toMatchObject({ event: "pending", data: { id: parked.approvalId, runId, status: "pending" } });
      expect(pendingGauge(await metrics())).toBe(1);

      const hookPending = await deliveryOf("approval.pending");
      expect(JSON.parse(hookPending.body)).toMatchObject({ type: "approval.pending", approval: { id: parked.approvalId, runId } });
      expect(signedWithSecret(hookPending)).toBe(true);

      const r = await fetch(`${approver.url}/v1/approvals/${parked.approvalId}/decision`, {
        method: "POST",
        headers: { authorization: "Bearer alice-token-0001", "content-type": "application/json" },
        body: JSON.stringify({ decision: "approve", codeHash: codeHash(CODE), reason: "limits checked" }),
      });
      expect(r.status).toBe(200);
      const decided = await events.next();
      expect(decided).toMatchObject({ event: "decided", data: { id: parked.approvalId, runId, status: "approved" } });
      expect(pendingGauge(await metrics())).toBe(0);
      // the approver applied the decision: it exports how long the run waited for it
      expect(await metrics()).toMatch(/^pyfleet_approval_wait_seconds_count\{decision="approve"\} 1$/m);

      const hookDecided = await deliveryOf("approval.decided");
      expect(JSON.parse(hookDecided.body)).toMatchObject({ type: "approval.decided", approval: { id: parked.approvalId, status: "approved" } });
      expect(signedWithSecret(hookDecided)).toBe(true);
      // A body changed in transit no longer matches its signature.
      expect(signedWithSecret({ ...hookDecided, body: hookDecided.body.replace("approved", "rejected") })).toBe(false);

      expect((await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed"])).status).toBe("completed");
      expect(deliveries).toHaveLength(2);
    } finally {
      await events.cancel();
    }
  });
});
