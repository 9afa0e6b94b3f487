import type { FakeOpenAIServer } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

const F = "```";
/** Attempt 1: `(` never closed on line 2. Attempt 2: a shell call. Attempt 3: correct. */
const REPLIES = [
  `${F}python\nimport os\nresults = {"count": len(os.listdir(".")\n${F}`,
  `Fixed the parenthesis:\n${F}python\nimport os\nn = os.system("ls | wc -l")\nresults = {"count": n}\n${F}`,
  `${F}python\nimport os\nresults = {"count": len(os.listdir(".")), "ok": True}\n${F}`,
];

describe("feedback loop through a real run (fleet, real generator against a fake OpenAI server, analyzer, local Python)", () => {
  let t: TestFleet;
  let llm: FakeOpenAIServer;

  beforeAll(async () => {
    t = await startTestFleet({ tag: "feedback", llm: true, stages: ["generate", "analyze", "execute"], modes: ["read_only"] });
    llm = t.llm as FakeOpenAIServer;
  }, 60_000);
  afterAll(() => t?.cleanup());

  it("syntax error → forbidden call → correct code: three attempts, prompts 2 and 3 carry the earlier findings", async () => {
    const { fleet } = t;
    llm.enqueue(...REPLIES.map((reply) => ({ reply })));
    const { runId } = await fleet.submit({
      user_query: "Count the files in the working folder",
      task_objective: "Return the number of files",
      expected_results: { count: "int", ok: "bool" },
    });
    const done = await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed"], 60_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("completed");
    expect(done.attempts).toBe(3);

    const details = await fleet.details(runId);
    expect(details?.final?.attempts).toBe(3);
    expect(details?.final?.code).toBe('import os\nresults = {"count": len(os.listdir(".")), "ok": True}\n');
    const results = details?.final?.result?.results ?? {};
    expect(results.ok).toBe(true);
    expect(typeof results.count).toBe("number");

    expect(llm.chatRequests).toHaveLength(3);
    expect(llm.pending).toBe(0);
    const user = (n: number) => llm.messagesOf(n).find((m) => m.role === "user")?.content ?? "";
    expect(user(0)).not.toContain("Attempt 1 failed");

    const second = user(1);
    expect(second).toContain('### Attempt 1 failed at stage "analyze": SYNTAX_ERROR (category: code)');
    expect(second).toMatch(/- line 2, column \d+ \[block\] syntax: /);
    expect(second).toContain('results = {"count": len(os.listdir(".")');
    expect(second).not.toContain("Attempt 2 failed");

    const third = user(2);
    expect(third).toContain('### Attempt 1 failed at stage "analyze": SYNTAX_ERROR');
    expect(third).toMatch(/- line 2, column \d+ \[block\] syntax: /);
    expect(third).toContain('### Attempt 2 failed at stage "analyze": ANALYSIS_BLOCKED (category: code)');
    expect(third).toMatch(/- line 2, column \d+ \[block\] process-spawn: .*\| code: n = os\.system\("ls \| wc -l"\)/);
    expect(third.indexOf("Attempt 1 failed")).toBeLessThan(third.indexOf("Attempt 2 failed"));
  }, 90_000);
});
