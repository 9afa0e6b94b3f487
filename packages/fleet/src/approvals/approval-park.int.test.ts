import { type ApprovalRequest, RedisKeys } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture, testApprovalRequest, testRunRecord } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../audit/audit-log.js";
import { RunStore } from "../runs/run-store.js";
import { ApprovalStore } from "./approval-store.js";

const CODE = "import epics\nepics.caput('X:Y', 1)\n";

const request = (runId: string): ApprovalRequest =>
  testApprovalRequest(runId, { code: CODE, userQuery: "set X:Y to 1", reasoning: "writes to X:Y", pvWrites: [], user_message: "HUMAN APPROVAL REQUIRED" });

/** The test's park store: no signer (parking never decides), one approval per mode. */
const parkStore = (fx: RedisFixture, keys: RedisKeys) =>
  new ApprovalStore(fx.redis, keys, null, new AuditLog(fx.redis, keys), {
    expirySeconds: 600,
    requiredApprovals: { read_only: 1, write_access: 1 },
    allowSelfApproval: false,
    retentionSeconds: 600,
  });

describe("parking: the approval record and the run's awaiting_approval in one transaction", () => {
  let fx: RedisFixture;
  afterEach(() => fx?.cleanup());

  it("no reader ever sees an approval record whose run does not say awaiting_approval", async () => {
    fx = await createRedisFixture("park");
    const keys = new RedisKeys(fx.prefix);
    const runs = new RunStore(fx.redis, keys, 600);
    const store = parkStore(fx, keys);
    const ids = Array.from({ length: 40 }, (_, i) => `park-${i}`);
    for (const runId of ids) await runs.create(testRunRecord(runId));
    // A second client takes consistent snapshots (one MULTI each) while the runs are parked.
    const reader = new Redis(fx.url);
    const snapshots: Array<{ approvals: string[]; statuses: Array<string | null> }> = [];
    let parking = true;
    const watching = (async () => {
      while (parking) {
        const tx = reader.multi().zrange(keys.approvalsAll(), "0", "-1");
        for (const runId of ids) tx.hget(keys.run(runId), "status");
        const replies = (await tx.exec()) ?? [];
        const [approvals, ...statuses] = replies.map(([, v]) => v);
        snapshots.push({ approvals: approvals as string[], statuses: statuses as Array<string | null> });
      }
    })();
    const runOf = new Map<string, string>();
    for (const runId of ids) {
      const rec = await store.create(request(runId), { checkpointNs: "" }, (tx, approvalId) => {
        runs.queueUpdate(tx, runId, { status: "awaiting_approval", approvalId }, new Date());
      });
      runOf.set(rec.id, runId);
      const parked = await runs.get(runId);
      expect(parked).toMatchObject({ status: "awaiting_approval", approvalId: rec.id });
    }
    parking = false;
    await watching;
    reader.disconnect();
    expect(snapshots.length).toBeGreaterThan(0);
    for (const { approvals, statuses } of snapshots) {
      for (const approvalId of approvals) {
        const i = ids.indexOf(runOf.get(approvalId) as string);
        expect(statuses[i], `approval ${approvalId} seen before its run was parked`).toBe(JSON.stringify("awaiting_approval"));
      }
    }
  });

  it("a run that ended meanwhile keeps its final status (the patch refuses terminal runs)", async () => {
    fx = await createRedisFixture("park");
    const keys = new RedisKeys(fx.prefix);
    const runs = new RunStore(fx.redis, keys, 600);
    const store = parkStore(fx, keys);
    await runs.create(testRunRecord("ended"));
    await runs.finish("ended", "cancelled", {}, new Date());
    await store.create(request("ended"), { checkpointNs: "" }, (tx, approvalId) => {
      runs.queueUpdate(tx, "ended", { status: "awaiting_approval", approvalId }, new Date());
    });
    expect((await runs.get("ended"))?.status).toBe("cancelled");
  });
});
