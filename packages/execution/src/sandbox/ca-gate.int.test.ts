import { readdirSync, readFileSync } from "node:fs";
import { isPyfleetError, projectPython } from "@pyfleet/core";
import { afterEach, describe, expect, it } from "vitest";
import { CaGate } from "./ca-gate.js";

/** Pid of the gate process this test process started (a child running pyfleet_ca_gate.py). */
function gatePid(): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("pyfleet_ca_gate.py")) return Number(entry);
    } catch {
      // a process that ended while we looked
    }
  }
  throw new Error("no gate process found");
}

/** Blocks (no event loop turn, so Node has not seen the exit yet) until `pid` is a zombie. */
function waitZombieSync(pid: number): void {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return;
  }
  throw new Error(`gate ${pid} did not die`);
}

describe("CaGate when its process dies", () => {
  let gate: CaGate | undefined;
  afterEach(async () => {
    await gate?.close();
  });

  it("rejects the request written to a dead gate with BACKEND_UNAVAILABLE instead of crashing the executor (EPIPE)", async () => {
    gate = await CaGate.start({ python: projectPython(), upstreams: ["127.0.0.1:5064"] });
    const pid = gatePid();
    process.kill(pid, "SIGKILL");
    waitZombieSync(pid);
    const err = await gate.attach(process.pid, "read_only").catch((e: unknown) => e);
    expect(isPyfleetError(err) && err.code).toBe("BACKEND_UNAVAILABLE");
    // the next call fails at once, without writing
    const again = await gate.attach(process.pid, "read_only").catch((e: unknown) => e);
    expect(isPyfleetError(again) && again.code).toBe("BACKEND_UNAVAILABLE");
  });
});
