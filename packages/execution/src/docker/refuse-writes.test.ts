import { isPyfleetError } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { refuseRealWrites } from "./docker-executor.js";

describe("docker backend and control-system writes", () => {
  it("refuses a real write run as a policy error naming the reason and the alternatives", () => {
    let caught: unknown;
    try {
      refuseRealWrites({ mode: "write_access", dryRun: false });
    } catch (err) {
      caught = err;
    }
    expect(isPyfleetError(caught) && caught.code).toBe("METHOD_NOT_ALLOWED");
    expect(isPyfleetError(caught) && caught.category).toBe("policy");
    expect((caught as Error).message).toMatch(/no network .*execution_method local or container/);
  });

  it("lets read-only runs and dry runs of write code through", () => {
    expect(() => refuseRealWrites({ mode: "read_only", dryRun: false })).not.toThrow();
    expect(() => refuseRealWrites({ mode: "write_access", dryRun: true })).not.toThrow();
  });
});
