import { describe, expect, it } from "vitest";
import { queueFor } from "./queue-for.js";

describe("queueFor (the stage map of ARCHITECTURE §2)", () => {
  it("puts generate on its own queue and approve/finalize with analyze", () => {
    expect(queueFor("generate", null)).toBe("generate");
    expect(queueFor("analyze", null)).toBe("analyze");
    expect(queueFor("approve", "write_access")).toBe("analyze");
    expect(queueFor("finalize", "read_only")).toBe("analyze");
  });

  it("splits execute by mode, and never sends an unknown mode to the write queue", () => {
    expect(queueFor("execute", "write_access")).toBe("execute.write_access");
    expect(queueFor("execute", "read_only")).toBe("execute.read_only");
    expect(queueFor("execute", null)).toBe("execute.read_only");
  });
});
