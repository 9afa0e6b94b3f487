import { describe, expect, it } from "vitest";
import { OutputCollector } from "./output-collector.js";

describe("OutputCollector", () => {
  it("keeps multi-byte characters split across chunks whole", () => {
    const c = new OutputCollector(100);
    const bytes = Buffer.from("µA ✓", "utf8");
    c.pushBytes(bytes.subarray(0, 1));
    c.pushBytes(bytes.subarray(1, 5));
    c.pushBytes(bytes.subarray(5));
    expect(c.text()).toBe("µA ✓");
    expect(c.truncated).toBe(false);
  });

  it("keeps exactly the cap, forwards only what it keeps and marks the rest", () => {
    const seen: string[] = [];
    const c = new OutputCollector(10, (t) => seen.push(t));
    c.pushText("12345678");
    c.pushText("abcdef");
    c.pushBytes(Buffer.from("more"));
    expect(seen.join("")).toBe("12345678ab");
    expect(c.truncated).toBe(true);
    expect(c.text()).toBe("12345678ab\n[pyfleet: output truncated at 10 bytes (limits.max_stdout_bytes); 8 more bytes dropped]\n");
  });

  it("never cuts a character in half at the cap", () => {
    const c = new OutputCollector(3);
    c.pushText("a✓b");
    expect(c.text().startsWith("a\n[pyfleet: output truncated")).toBe(true);
  });

  it("counts bytes dropped upstream (the kernel-side cap)", () => {
    const c = new OutputCollector(10);
    c.pushText("ok");
    c.noteDropped(5);
    expect(c.truncated).toBe(true);
    expect(c.text()).toContain("5 more bytes dropped");
  });
});
