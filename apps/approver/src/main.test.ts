import { describe, expect, it, vi } from "vitest";
import { main } from "./main.js";

describe("pyfleet-approver main", () => {
  it("exits 2 on bad usage and 1 without signing keys, before opening any connection", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await main(["--port", "abc"], {})).toBe(2);
      expect(await main(["--frobnicate"], {})).toBe(2);
      expect(await main([], { REDIS_URL: "redis://127.0.0.1:1" })).toBe(1);
      const printed = stderr.mock.calls.map((c) => String(c[0])).join("");
      expect(printed).toContain("--port must be an integer 0-65535");
      expect(printed).toContain("PYFLEET_SIGNING_KEYS is not set");
    } finally {
      stderr.mockRestore();
    }
  });
});
