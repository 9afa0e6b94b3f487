import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandIO } from "../command.js";
import { main } from "../main.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pyfleet-config-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(env: Record<string, string> = {}, cwd = dir) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd };
  return { io, out, err };
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("pyfleet config check", () => {
  it("accepts the committed config.yml and prints the summary with the Redis password masked", async () => {
    const c = capture({ REDIS_URL: "redis://:s3cret@redis.local:6379" }, ROOT);
    expect(await main(["config", "check"], c.io)).toBe(0);
    expect(c.out).toEqual([
      "OK config.yml: execution local, redis redis://:***@redis.local:6379 (prefix pyfleet), approval selective (python_execution epics_writes)",
    ]);
    expect(c.err).toEqual([]);
  });

  it("prints every problem with file, line and path, and exits 1", async () => {
    const file = write(
      "bad.yml",
      "framework:\n  execution:\n    execution_method: kontainer\n  queues:\n    generate: { concurrency: 0 }\n",
    );
    const c = capture();
    expect(await main(["config", "check", file], c.io)).toBe(1);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual([
      "bad.yml: 2 problems",
      '  bad.yml:3:23 framework.execution.execution_method: "kontainer" is not one of container | local | docker',
      "  bad.yml:5:30 framework.queues.generate.concurrency: 0 is below the minimum of 1",
    ]);
  });

  it("refuses analysis rule ids the analyzer does not know, naming the closest one", async () => {
    const file = write("rules.yml", "framework:\n  analysis:\n    rules: { networking: allow }\n");
    const c = capture();
    expect(await main(["config", "check", file], c.io)).toBe(1);
    expect(c.out).toEqual([]);
    expect(c.err[0]).toBe("rules.yml: 1 problem");
    expect(c.err[1]).toMatch(/^ {2}rules\.yml: framework\.analysis\.rules: unknown rule "networking" \(did you mean "network"\? rules: dynamic-code, /);
  });

  it("prints warnings but exits 0 when there is no problem", async () => {
    const file = write("warn.yml", "framework:\n  approval:\n    global_mod: disabled\n");
    const c = capture();
    expect(await main(["config", "check", file], c.io)).toBe(0);
    expect(c.err).toEqual([
      'warning: warn.yml:3:5 framework.approval.global_mod: unknown key (ignored); did you mean "global_mode"?',
    ]);
    expect(c.out[0]).toMatch(/^OK warn\.yml: execution local, .* approval selective/);
  });

  it("reads PYFLEET_CONFIG when no file is given and reports a missing file", async () => {
    write("site.yml", "framework:\n  approval:\n    capabilities:\n      python_execution: { enabled: false }\n");
    const ok = capture({ PYFLEET_CONFIG: "site.yml" });
    expect(await main(["config", "check"], ok.io)).toBe(0);
    expect(ok.out[0]).toContain("approval selective (python_execution disabled)");
    const missing = capture();
    expect(await main(["config", "check", "absent.yml"], missing.io)).toBe(1);
    expect(missing.err[0]).toContain(`config file not found: ${join(dir, "absent.yml")}`);
  });

  it("exits 2 on bad usage", async () => {
    const c = capture();
    expect(await main(["config", "check", "a.yml", "b.yml"], c.io)).toBe(2);
    expect(c.err[0]).toContain("expects at most one FILE");
  });
});
