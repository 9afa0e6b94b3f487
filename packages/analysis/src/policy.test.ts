import { describe, expect, it } from "vitest";
import { createAnalyzer } from "./analyzer.js";
import { CAPABILITY_MODES, GLOBAL_MODES } from "./options.js";

const WRITING = 'from epics import caput\ncaput("SR:Q1", 1)\nresults = {}\n';
const READING = 'from epics import caget\nresults = {"i": caget("SR:DCCT")}\n';
const NO_FORCED_MODES = { read_only: { requires_approval: false }, write_access: { requires_approval: false } };

/** The policy table of the issue, written out independently of the implementation. */
function expectedApproval(global: string, mode: string, writes: boolean): boolean {
  if (global === "disabled") return false;
  if (global === "all_capabilities") return true;
  if (mode === "all_code") return true;
  if (mode === "epics_writes" || mode === "control_writes") return writes;
  return false;
}

const table = GLOBAL_MODES.flatMap((global) =>
  CAPABILITY_MODES.flatMap((mode) =>
    [true, false].flatMap((writes) => [true, false].map((enabled) => ({ global, mode, writes, enabled }))),
  ),
);

describe("approval policy table (global mode x capability mode x writes present x writes enabled)", () => {
  it("covers all 48 combinations", () => {
    expect(table).toHaveLength(48);
  });

  it.each(table)("global=$global mode=$mode writes=$writes writes_enabled=$enabled", async ({ global, mode, writes, enabled }) => {
    const analyzer = createAnalyzer({
      approval: { global_mode: global, capabilities: { python_execution: { enabled: true, mode } } },
      control_system: { writes_enabled: enabled },
      execution: { modes: NO_FORCED_MODES },
    });
    const r = await analyzer.analyze({ code: writes ? WRITING : READING, expectedResults: {} });
    expect(r.execution_mode).toBe(writes ? "write_access" : "read_only");
    expect(r.needs_approval).toBe(expectedApproval(global, mode, writes));
    expect(r.reasoning).toMatch(r.needs_approval ? /Approval required/ : /No approval/);
    const blocked = writes && !enabled;
    expect(r.passed).toBe(!blocked);
    const disabled = r.findings.filter((f) => f.rule === "writes-disabled");
    expect(disabled).toHaveLength(blocked ? 1 : 0);
    if (blocked) {
      expect(disabled[0]).toMatchObject({ level: "block", line: 2 });
      expect(disabled[0]!.message).toMatch(/read-only code/);
      expect(r.severity).toBe("error");
    }
  });
});

describe("approval policy switches", () => {
  it("a disabled python_execution capability never asks (selective)", async () => {
    const analyzer = createAnalyzer({
      approval: { capabilities: { python_execution: { enabled: false, mode: "all_code" } } },
      execution: { modes: NO_FORCED_MODES },
    });
    const r = await analyzer.analyze({ code: WRITING, expectedResults: {} });
    expect(r.needs_approval).toBe(false);
    expect(r.reasoning).toMatch(/not enabled/);
  });

  it("all_capabilities asks even when the capability is disabled", async () => {
    const analyzer = createAnalyzer({
      approval: { global_mode: "all_capabilities", capabilities: { python_execution: { enabled: false, mode: "disabled" } } },
      execution: { modes: NO_FORCED_MODES },
    });
    expect((await analyzer.analyze({ code: READING, expectedResults: {} })).needs_approval).toBe(true);
  });

  it("config.yml defaults: write_access requires approval, read-only code does not", async () => {
    const analyzer = createAnalyzer({});
    const w = await analyzer.analyze({ code: WRITING, expectedResults: {} });
    const r = await analyzer.analyze({ code: READING, expectedResults: {} });
    expect([w.needs_approval, r.needs_approval]).toEqual([true, false]);
    expect(w.reasoning).toMatch(/write_access has requires_approval: true/);
  });

  it("a mode's requires_approval forces approval for that mode only, even with approval disabled globally", async () => {
    const analyzer = createAnalyzer({
      approval: { global_mode: "disabled" },
      execution: { modes: { read_only: { requires_approval: true }, write_access: { requires_approval: false } } },
    });
    expect((await analyzer.analyze({ code: READING, expectedResults: {} })).needs_approval).toBe(true);
    expect((await analyzer.analyze({ code: WRITING, expectedResults: {} })).needs_approval).toBe(false);
  });

  it("possible dynamic writes count as writes for mode and approval", async () => {
    const analyzer = createAnalyzer({ execution: { modes: NO_FORCED_MODES } });
    const r = await analyzer.analyze({ code: 'import epics\ngetattr(epics, input())("X", 1)\n', expectedResults: {} });
    expect(r.execution_mode).toBe("write_access");
    expect(r.needs_approval).toBe(true);
    expect(r.pv_writes[0]).toMatchObject({ dynamic: true, pv: null, line: 2 });
  });

  it.each([
    [{ approval: { global_mode: "sometimes" } }, /approval.global_mode/],
    [{ approval: { capabilities: { python_execution: { mode: "writes" } } } }, /python_execution.mode/],
    [{ approval: { capabilities: { python_execution: { enabled: "yes" } } } }, /python_execution.enabled/],
    [{ control_system: { writes_enabled: "no" } }, /control_system.writes_enabled/],
    [{ analysis: { rules: { networking: "warn" } } }, /unknown rule "networking"/],
    [{ analysis: { rules: { network: "ignore" } } }, /analysis.rules.network/],
  ])("rejects invalid options %j with CONFIG_INVALID", (options, message) => {
    expect(() => createAnalyzer(options as never)).toThrow(message);
    try {
      createAnalyzer(options as never);
    } catch (err) {
      expect(err).toMatchObject({ code: "CONFIG_INVALID", category: "configuration" });
    }
  });
});
