import { describe, expect, it } from "vitest";
import { decisionMessage } from "./decide.js";

const released = { approval: { status: "rejected", approvals: 0, requiredApprovals: 1 }, released: true };

describe("decisionMessage", () => {
  it("says a rejection ends the run, or sends it back to generation with feedback", () => {
    expect(decisionMessage("a1", "reject", released, false)).toBe("a1: rejected; the run ends with status rejected");
    expect(decisionMessage("a1", "reject", released, true)).toBe("a1: rejected; the run goes back to code generation with your feedback");
  });

  it("says an approval lets the run go on, and a first vote of two leaves it pending", () => {
    expect(decisionMessage("a1", "approve", { ...released, approval: { ...released.approval, status: "approved" } }, false)).toContain("continues to execution");
    expect(decisionMessage("a1", "approve", { approval: { status: "pending", approvals: 1, requiredApprovals: 2 }, released: false }, false)).toBe(
      "a1: vote recorded (1/2 approvals); still pending",
    );
  });
});
