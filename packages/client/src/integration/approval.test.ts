import { describe, expect, it } from "vitest";
import { clearApprovalState, createApprovalType, getApprovalResumeData, isApproving } from "./approval.js";

describe("approval helpers (original semantics)", () => {
  it("builds approval types", () => {
    expect(createApprovalType("python_executor")).toBe("python_executor");
    expect(createApprovalType("memory", "save")).toBe("memory_save");
  });

  it("reads resume data: none, approved with payload, rejected, inconsistent", () => {
    expect(getApprovalResumeData({}, "python_executor")).toEqual([false, null]);
    const payload = { approval_type: "python_executor", runId: "r1" };
    expect(getApprovalResumeData({ approval_approved: true, approved_payload: payload }, "python_executor")).toEqual([true, payload]);
    expect(getApprovalResumeData({ approval_approved: false, approved_payload: payload }, "python_executor")).toEqual([true, null]);
    expect(() => getApprovalResumeData({ approval_approved: true, approved_payload: null }, "python_executor")).toThrow(/approval_type/);
    expect(() => getApprovalResumeData({ approval_approved: true, approved_payload: { approval_type: "memory_save" } }, "python_executor")).toThrow(
      /not python_executor/,
    );
  });

  it("clears the state and recognises approving answers", () => {
    expect(clearApprovalState()).toEqual({ approval_approved: null, approved_payload: null });
    for (const a of [true, "yes", "OK!", "y", { approved: true }]) expect(isApproving(a)).toBe(true);
    for (const a of [false, "no", "maybe", { approved: false }, null]) expect(isApproving(a)).toBe(false);
  });
});
