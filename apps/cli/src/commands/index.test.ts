import { describe, expect, it } from "vitest";
import type { CommandIO } from "../command.js";
import { main } from "../main.js";
import { COMMANDS } from "./index.js";

describe("command index", () => {
  it("lists each command under the name and summary its module declares", async () => {
    for (const entry of COMMANDS) {
      const { default: command } = await entry.load();
      expect(command.name, entry.name.join(" ")).toEqual(entry.name);
      expect(entry.summary, entry.name.join(" ")).toBe(command.summary);
    }
  });

  it("pyfleet --help shows every command with its summary", async () => {
    const out: string[] = [];
    const io: CommandIO = { out: (l) => out.push(l), err: () => {}, env: {}, cwd: process.cwd() };
    expect(await main(["--help"], io)).toBe(0);
    const text = out.join("\n");
    for (const entry of COMMANDS) expect(text).toMatch(new RegExp(`\\n  ${entry.name.join(" ")} +${entry.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });
});
