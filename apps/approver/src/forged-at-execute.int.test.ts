import { createCheckpointer } from "@pyfleet/checkpointer";
import { codeHash, parseSigningKeys, parseVerifyKeys, type PyfleetConfig, RedisKeys, type RunRecord } from "@pyfleet/core";
import { AuditLog, DecisionSigner, DecisionVerifier, type Fleet } from "@pyfleet/fleet";
import { countExecutionLogs, startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import type { RedisFixture } from "@pyfleet/testing";
import { graphConfig } from "@pyfleet/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApprover } from "./start-approver.js";
import { startTestApprover } from "./test-approver.test-helpers.js";

/** Write code that leaves a trace in its working directory when it runs. */
const WRITE = (v: number) =>
  `import epics\nwith open('executions.log', 'a') as f:\n    f.write('ran\\n')\nepics.caput('SR:C01:HCM', ${v})\nresults = {'set': ${v}}\n`;

/**
 * `fleet.resumeRun` refuses unsigned decisions and decisions for other code before anything is
 * stored, so those forgeries never reach `execute` that way. Here they do: a real approval parks
 * the run at `execute` with its job queued but no executor running, the decision in the
 * checkpoint is replaced (as someone with Redis access could), and only then does a write
 * executor with the real SignedApprovalVerifier (public keys only) take the jobs.
 */
describe("forged decisions that reach execute are refused by the executor itself", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let env: Record<string, string>;
  let config: PyfleetConfig;
  let keys: RedisKeys;
  let front: Fleet;
  let approver: RunningApprover;

  beforeAll(async () => {
    // Analyze only: approved runs wait on the write queue until the test starts an executor.
    t = await startTestFleet({ tag: "forged", stages: ["analyze", "execute"], modes: ["read_only"], decides: true });
    ({ redis: fx, env, config, fleet: front } = t);
    keys = new RedisKeys(fx.prefix);
    approver = await startTestApprover(config, t.runtime, env, { "alice-token-0001": { identity: "alice", roles: ["approver"] } });
  }, 60_000);
  afterAll(async () => {
    await approver?.close();
    await t?.cleanup();
  });

  /** Submits write code, approves it over HTTP and returns once its execute job is queued. */
  async function approved(code: string): Promise<RunRecord> {
    const { runId } = await front.submit({ user_query: "set the corrector", task_objective: "Set SR:C01:HCM", code, dry_run: true }, { requester: "carol" });
    const parked = await waitForStatus((id) => front.get(id), runId, "awaiting_approval");
    const r = await fetch(`${approver.url}/v1/approvals/${parked.approvalId}/decision`, {
      method: "POST",
      headers: { authorization: "Bearer alice-token-0001", "content-type": "application/json" },
      body: JSON.stringify({ decision: "approve", codeHash: codeHash(code), reason: "limits checked" }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ released: true });
    const rec = await front.get(runId);
    expect(rec).toMatchObject({ status: "queued", stage: "execute", mode: "write_access" });
    return rec as RunRecord;
  }

  it("unsigned, other-hash and missing decisions written into the checkpoint: failed as approval errors, code never ran, audited", async () => {
    const checkpointer = await createCheckpointer({ type: config.checkpointer.type, redis: fx.redis, url: config.redis.url, prefix: keys.checkpointPrefix });
    const { saver } = checkpointer;
    const replaceDecision = async (run: RunRecord, forge: (real: Record<string, unknown>) => unknown) => {
      const tuple = await saver.getTuple(graphConfig(run));
      if (!tuple) throw new Error(`no checkpoint for ${run.runId}`);
      const real = tuple.checkpoint.channel_values.decision as Record<string, unknown>;
      expect(real).toMatchObject({ runId: run.runId, decision: "approve", approvers: ["alice"] });
      const forged = structuredClone(tuple.checkpoint);
      const version = saver.getNextVersion(tuple.checkpoint.channel_versions.decision as number);
      forged.channel_values.decision = forge(real);
      forged.channel_versions.decision = version;
      // A later id, so this checkpoint is the thread's latest.
      forged.id = `${tuple.checkpoint.id.slice(0, -4)}ffff`;
      await saver.put(tuple.config, forged, tuple.metadata ?? { source: "update", step: -1, parents: {} }, { decision: version });
      expect((await front.details(run.runId))?.status).toBe("queued");
      expect((await saver.getTuple(graphConfig(run)))?.checkpoint.channel_values.decision).toEqual(forged.channel_values.decision);
    };

    const unsigned = await approved(WRITE(1));
    await replaceDecision(unsigned, (real) => {
      const { signature: _signature, ...rest } = real;
      return rest;
    });
    // Signed with the real key, so only the code hash gives it away.
    const otherHash = await approved(WRITE(2));
    const signer = new DecisionSigner(parseSigningKeys(t.keys.PYFLEET_SIGNING_KEYS), "k1");
    await replaceDecision(otherHash, (real) => {
      const { signature: _s, keyId: _k, ...content } = real;
      const d = signer.sign({ ...(content as Parameters<DecisionSigner["sign"]>[0]), codeHash: codeHash(WRITE(99)) });
      expect(new DecisionVerifier(parseVerifyKeys(t.keys.PYFLEET_VERIFY_KEYS)).isValid(d)).toBe(true);
      return d;
    });
    const missing = await approved(WRITE(3));
    await replaceDecision(missing, () => null);
    // Untouched control: the same path with the real decision runs.
    const control = await approved(WRITE(4));
    await checkpointer.close();

    const root = env.PYFLEET_ARTIFACTS as string;
    expect(countExecutionLogs(root)).toBe(0);
    const exec = await t.open({ stages: ["execute"], modes: ["write_access"] });
    const expected: Array<[RunRecord, string]> = [
      [unsigned, "APPROVAL_SIGNATURE_INVALID"],
      [otherHash, "APPROVAL_HASH_MISMATCH"],
      [missing, "APPROVAL_MISSING"],
    ];
    for (const [run, code] of expected) {
      const done = await waitForStatus((id) => exec.get(id), run.runId, ["failed", "completed", "outcome_unknown"], 30_000);
      expect(done.status).toBe("failed");
      expect(done.error).toMatchObject({ category: "approval", code });
      expect(await fx.redis.get(keys.execMarker(run.runId, 1))).toBeNull();
      expect((await exec.details(run.runId))?.final?.result?.recorded_writes ?? []).toEqual([]);
    }
    const ok = await waitForStatus((id) => exec.get(id), control.runId, ["failed", "completed", "outcome_unknown"], 30_000);
    expect(ok.status).toBe("completed");
    expect((await exec.details(control.runId))?.final?.result?.recorded_writes).toMatchObject([{ pv: "SR:C01:HCM", value: 4 }]);
    // Only the control's code ever ran.
    expect(countExecutionLogs(root)).toBe(1);

    const audit = new AuditLog(fx.redis, keys);
    const checks = (await audit.tail(200)).filter((e) => e.type === "signature.checked");
    for (const [run, code] of expected) {
      const mine = checks.filter((e) => e.data.runId === run.runId);
      expect(mine.map((e) => [e.data.ok, e.data.code])).toEqual([[false, code]]);
    }
    expect(checks.filter((e) => e.data.runId === control.runId).map((e) => e.data.ok)).toEqual([true]);
    const types = (await audit.tail(200)).filter((e) => expected.some(([r]) => r.runId === e.data.runId)).map((e) => e.type);
    expect(types).not.toContain("write.started");
    expect(await audit.verify()).toMatchObject({ ok: true });
  });
});
