import type { DecisionBody } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { type TalliedRecord, tallyVote } from "./vote-tally.js";

const NOW = new Date("2026-01-01T12:00:00Z");
const HASH = "a".repeat(64);
const record = (over: Partial<TalliedRecord> = {}): TalliedRecord => ({
  id: "ap-1",
  runId: "run-1",
  status: "pending",
  expiresAt: "2026-01-01T13:00:00Z",
  codeHash: HASH,
  requester: "carol",
  requiredApprovals: 2,
  votes: [],
  ...over,
});
const approve: DecisionBody = { decision: "approve", codeHash: HASH, reason: "ok" };
const reject: DecisionBody = { decision: "reject", codeHash: HASH, reason: "no", feedback: "smaller step", regenerate: true };
const opts = { allowSelfApproval: false, now: NOW };

describe("tallyVote (the two-person rule)", () => {
  it("one approval of two required is counted and decides nothing", () => {
    const t = tallyVote(record(), "alice", approve, opts);
    expect(t).toMatchObject({ counted: true, final: null, approvers: ["alice"] });
    expect(t.votes).toEqual([{ identity: "alice", decision: "approve", reason: "ok", at: NOW.toISOString() }]);
  });

  it("a second distinct approver decides approve, naming both in voting order", () => {
    const first = tallyVote(record(), "alice", approve, opts);
    const t = tallyVote(record({ votes: first.votes }), "bob", approve, opts);
    expect(t).toMatchObject({ counted: true, final: "approve", approvers: ["alice", "bob"] });
  });

  it("the same identity approving twice counts once and does not reach two", () => {
    const first = tallyVote(record(), "alice", approve, opts);
    const t = tallyVote(record({ votes: first.votes }), "alice", approve, opts);
    expect(t).toMatchObject({ counted: false, final: null, approvers: ["alice"] });
    expect(t.votes).toHaveLength(1);
  });

  it("one approval suffices when one is required", () => {
    expect(tallyVote(record({ requiredApprovals: 1 }), "alice", approve, opts).final).toBe("approve");
  });

  it("any rejection decides reject, even after an approval, and keeps its feedback", () => {
    const first = tallyVote(record(), "alice", approve, opts);
    const t = tallyVote(record({ votes: first.votes }), "bob", reject, opts);
    expect(t.final).toBe("reject");
    expect(t.votes.at(-1)).toMatchObject({ identity: "bob", decision: "reject", feedback: "smaller step", regenerate: true });
  });

  it("the requester may not approve their own run unless allowed, but may reject it", () => {
    expect(() => tallyVote(record(), "carol", approve, opts)).toThrow(expect.objectContaining({ code: "APPROVAL_FORBIDDEN" }));
    expect(tallyVote(record(), "carol", reject, opts).final).toBe("reject");
    expect(tallyVote(record({ requiredApprovals: 1 }), "carol", approve, { ...opts, allowSelfApproval: true }).final).toBe("approve");
  });

  it("refuses a vote on other code, on a decided approval and on an expired one", () => {
    expect(() => tallyVote(record(), "alice", { ...approve, codeHash: "b".repeat(64) }, opts)).toThrow(expect.objectContaining({ code: "APPROVAL_HASH_MISMATCH" }));
    expect(() => tallyVote(record({ status: "approved" }), "alice", approve, opts)).toThrow(expect.objectContaining({ code: "APPROVAL_ALREADY_DECIDED" }));
    expect(() => tallyVote(record({ status: "expired" }), "alice", approve, opts)).toThrow(expect.objectContaining({ code: "APPROVAL_EXPIRED" }));
    // pending but past its expiry (not swept yet) is expired too
    expect(() => tallyVote(record({ expiresAt: "2026-01-01T12:00:00Z" }), "alice", approve, opts)).toThrow(expect.objectContaining({ code: "APPROVAL_EXPIRED" }));
  });

  it("does not change the record's votes", () => {
    const rec = record();
    tallyVote(rec, "alice", approve, opts);
    expect(rec.votes).toEqual([]);
  });
});
