import { randomUUID } from "node:crypto";
import {
  type ApprovalRequest,
  type ApprovalStatus,
  type Clock,
  type DecisionBody,
  type ExecutionMode,
  PyfleetError,
  type RedisKeys,
  systemClock,
} from "@pyfleet/core";
import type { ChainableCommander, Redis, Result } from "ioredis";
import type { AuditLog } from "../audit/audit-log.js";
import { defineScripts } from "../redis/define-scripts.js";
import { type ApprovalRecord, type ApproverIdentity, approvalSummary } from "./approval-record.js";
import type { DecisionSigner } from "./decision-signer.js";
import { tallyVote } from "./vote-tally.js";

export interface ApprovalStoreOptions {
  /** Seconds a pending approval stays valid (`approver.expiry_seconds`, default 3600). */
  expirySeconds: number;
  /** Distinct approvers needed per mode (`approver.required_approvals`). */
  requiredApprovals: Record<ExecutionMode, number>;
  /** Whether a requester may approve their own run (`approver.allow_self_approval`). */
  allowSelfApproval: boolean;
  /** TTL of decided records (`runs.retention_seconds`). */
  retentionSeconds: number;
}

/** Result of a vote: the record, and the signed decision when this vote decided it. */
export interface DecideResult {
  record: ApprovalRecord;
  released: ApprovalRecord["signedDecision"];
}

// Compare-and-set of a record plus its index entries, so votes from several approver
// processes can never overwrite each other.
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if tostring(cjson.decode(cur)['version']) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[4] == '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
if ARGV[5] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
return 1`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** KEYS record, pending index; ARGV version, record JSON, id, "keep"|"" (index), TTL|"". 1 set, 0 version moved, -1 gone. */
    pyfleetApprovalCas(record: string, pending: string, version: string, next: string, id: string, keep: string, ttl: string): Result<number, Context>;
  }
}

/**
 * Approval records in Redis with a pending index (sorted by expiry) and an index of all
 * records (sorted by creation). Votes are counted per distinct identity; the decision is
 * signed as soon as it is final. Every change is audited and published on the approvals channel.
 */
export class ApprovalStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** The approver's signer; `null` in processes that only create and cancel records (they cannot decide). */
    private readonly signer: DecisionSigner | null,
    private readonly audit: AuditLog,
    private readonly options: ApprovalStoreOptions,
    private readonly clock: Clock = systemClock,
  ) {
    defineScripts(redis, { pyfleetApprovalCas: { numberOfKeys: 2, lua: CAS_SCRIPT } });
  }

  /**
   * Creates a pending record for an `approve` interrupt. `alsoInTx` adds commands to the same
   * transaction (the run record's `awaiting_approval`), so nobody sees one without the other.
   */
  async create(req: ApprovalRequest, ref: { checkpointNs: string }, alsoInTx?: (tx: ChainableCommander, approvalId: string) => void): Promise<ApprovalRecord> {
    const now = this.clock.now();
    const rec: ApprovalRecord = {
      id: randomUUID(),
      runId: req.runId,
      threadId: req.threadId,
      checkpointNs: ref.checkpointNs,
      attempt: req.attempt,
      codeHash: req.codeHash,
      code: req.code,
      executionMode: req.executionMode,
      kernelName: req.kernelName,
      task: req.task,
      userQuery: req.userQuery,
      reasoning: req.reasoning,
      findings: req.findings,
      pvWrites: req.pvWrites,
      manifest: req.manifest ?? null,
      notebookPath: req.notebookPath,
      notebookLink: req.notebookLink,
      requester: req.requester,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.options.expirySeconds * 1000).toISOString(),
      requiredApprovals: Math.max(1, this.options.requiredApprovals[req.executionMode] ?? 1),
      votes: [],
      status: "pending",
      decidedAt: null,
      signedDecision: null,
      resumedAt: null,
      version: 1,
    };
    const tx = this.redis
      .multi()
      .set(this.keys.approval(rec.id), JSON.stringify(rec))
      .zadd(this.keys.approvalsPending(), Date.parse(rec.expiresAt), rec.id)
      .zadd(this.keys.approvalsAll(), now.getTime(), rec.id);
    alsoInTx?.(tx, rec.id);
    const replies = await tx.exec();
    const failed = replies?.find(([err]) => err !== null)?.[0];
    if (!replies || failed) throw failed ?? new PyfleetError("INTERNAL", `storing approval ${rec.id} was aborted`);
    await this.audit.append("approval.requested", {
      approvalId: rec.id,
      runId: rec.runId,
      attempt: rec.attempt,
      codeHash: rec.codeHash,
      mode: rec.executionMode,
      requester: rec.requester,
    });
    await this.publish("pending", rec);
    return rec;
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    const raw = await this.redis.get(this.keys.approval(id));
    return raw ? (JSON.parse(raw) as ApprovalRecord) : null;
  }

  /** Whether this store holds a signer (only the approver's does). */
  get canDecide(): boolean {
    return this.signer !== null;
  }

  /** How many approvals wait for a decision (for the approver's gauge). */
  pendingCount(): Promise<number> {
    return this.redis.zcard(this.keys.approvalsPending());
  }

  /** Newest first; `status` filters (expired-but-unswept pending records count as expired). */
  async list(opts: { status?: ApprovalStatus; limit?: number } = {}): Promise<ApprovalRecord[]> {
    const limit = opts.limit ?? 100;
    const ids =
      opts.status === "pending"
        ? await this.redis.zrange(this.keys.approvalsPending(), "0", String(limit - 1))
        : await this.redis.zrevrange(this.keys.approvalsAll(), "0", String(Math.max(limit * 5, 500) - 1));
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.keys.approval(id)));
    const recs = raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as ApprovalRecord);
    return recs.filter((r) => !opts.status || r.status === opts.status).slice(0, limit);
  }

  /**
   * Records one vote.
   * @throws PyfleetError APPROVAL_NOT_FOUND, APPROVAL_FORBIDDEN (self-approval),
   *   APPROVAL_HASH_MISMATCH (codeHash differs), APPROVAL_ALREADY_DECIDED, APPROVAL_EXPIRED.
   */
  async decide(id: string, who: ApproverIdentity, body: DecisionBody): Promise<DecideResult> {
    for (let i = 0; i < 20; i++) {
      const rec = await this.get(id);
      if (!rec) throw new PyfleetError("APPROVAL_NOT_FOUND", `approval ${id} does not exist`);
      const now = this.clock.now();
      const { votes, counted, final, approvers } = tallyVote(rec, who.id, body, { allowSelfApproval: this.options.allowSelfApproval, now });
      const next: ApprovalRecord = { ...rec, votes, version: rec.version + 1 };
      if (final) {
        if (!this.signer) {
          throw new PyfleetError("CONFIG_INVALID", "this process holds no decision signing key (approver.signing_keys_env): only the approver decides");
        }
        next.status = final === "approve" ? "approved" : "rejected";
        next.decidedAt = now.toISOString();
        next.signedDecision = this.signer.sign({
          approvalId: rec.id,
          runId: rec.runId,
          attempt: rec.attempt,
          codeHash: rec.codeHash,
          mode: rec.executionMode,
          decision: final,
          approvers: final === "approve" ? approvers : [who.id],
          reason: body.reason,
          ...(final === "reject" && body.feedback !== undefined ? { feedback: body.feedback } : {}),
          ...(final === "reject" && body.regenerate !== undefined ? { regenerate: body.regenerate } : {}),
          // the approved manifest: the executor admits writes to exactly these PVs
          writePvs: rec.manifest ? [...rec.manifest.pvs] : [],
          manifestHash: rec.manifest?.hash ?? null,
          expiresAt: rec.expiresAt,
          signedAt: now.toISOString(),
        });
      }
      const ok = await this.cas(rec, next, final !== null);
      if (!ok) continue;
      await this.audit.append("approval.decision", {
        approvalId: id,
        runId: rec.runId,
        attempt: rec.attempt,
        codeHash: rec.codeHash,
        identity: who.id,
        decision: body.decision,
        reason: body.reason,
        counted,
        final: next.status,
      });
      if (final) await this.publish("decided", next);
      return { record: next, released: final ? next.signedDecision : null };
    }
    throw new PyfleetError("INTERNAL", `approval ${id} is being changed concurrently; retry`);
  }

  /** Marks that the run was resumed with the decision (for crash recovery). */
  async markResumed(id: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const rec = await this.get(id);
      if (!rec || rec.resumedAt) return;
      if (await this.cas(rec, { ...rec, resumedAt: this.clock.now().toISOString(), version: rec.version + 1 }, true)) return;
    }
  }

  /** Decided records whose run was never resumed (the approver crashed in between). */
  async listUnresumed(limit = 100): Promise<ApprovalRecord[]> {
    const recs = await this.list({ limit: limit * 5 });
    return recs.filter((r) => (r.status === "approved" || r.status === "rejected") && !r.resumedAt).slice(0, limit);
  }

  /** Cancels a pending approval (the run was cancelled). Returns false when not pending. */
  async cancel(id: string, reason: string): Promise<boolean> {
    return this.close(id, "cancelled", "approval.cancelled", reason);
  }

  /** Ends every pending approval whose expiry has passed; returns them. */
  async expireDue(): Promise<ApprovalRecord[]> {
    const now = this.clock.now().getTime();
    const ids = await this.redis.zrangebyscore(this.keys.approvalsPending(), "-inf", String(now));
    const out: ApprovalRecord[] = [];
    for (const id of ids) {
      if (await this.close(id, "expired", "approval.expired", "expired")) {
        const rec = await this.get(id);
        if (rec) out.push(rec);
      }
    }
    return out;
  }

  private async close(
    id: string,
    status: "cancelled" | "expired",
    auditType: "approval.cancelled" | "approval.expired",
    reason: string,
  ): Promise<boolean> {
    for (let i = 0; i < 20; i++) {
      const rec = await this.get(id);
      if (rec?.status !== "pending") {
        await this.redis.zrem(this.keys.approvalsPending(), id);
        return false;
      }
      const next = { ...rec, status, decidedAt: this.clock.now().toISOString(), version: rec.version + 1 };
      if (await this.cas(rec, next, true)) {
        await this.audit.append(auditType, { approvalId: id, runId: rec.runId, reason });
        await this.publish("decided", next);
        return true;
      }
    }
    return false;
  }

  private async cas(prev: ApprovalRecord, next: ApprovalRecord, terminal: boolean): Promise<boolean> {
    const res = await this.redis.pyfleetApprovalCas(
      this.keys.approval(prev.id),
      this.keys.approvalsPending(),
      String(prev.version),
      JSON.stringify(next),
      prev.id,
      terminal ? "" : "keep",
      terminal ? String(this.options.retentionSeconds) : "",
    );
    if (res === -1) throw new PyfleetError("APPROVAL_NOT_FOUND", `approval ${prev.id} does not exist`);
    return res === 1;
  }

  private async publish(kind: "pending" | "decided", rec: ApprovalRecord): Promise<void> {
    await this.redis.publish(this.keys.approvalChannel(), JSON.stringify({ kind, approval: approvalSummary(rec) }));
  }
}
