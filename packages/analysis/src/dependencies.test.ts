import { describe, expect, it } from "vitest";
import { DependencyLog } from "./dependencies.js";
import { PythonParser } from "./parser.js";
import { Resolver } from "./resolver.js";
import { ValueSet } from "./values.js";

describe("DependencyLog", () => {
  it("marks a reader stale when the slot it read grows later, not when it grew before the read", () => {
    const log = new DependencyLog();
    const slot: ValueSet = new ValueSet();
    const other: ValueSet = new ValueSet();
    log.begin();
    log.grew(other);
    const early = log.begin();
    log.read(other);
    log.read(slot);
    log.begin();
    expect(log.stale(early)).toBe(false);
    log.grew(slot);
    expect(log.stale(early)).toBe(true);
  });

  it("a node that reuses a memoised result depends on what that result read, with the original read time", () => {
    const log = new DependencyLog();
    const slot: ValueSet = new ValueSet();
    log.begin();
    const from = log.mark();
    log.read(slot);
    log.remember(1, new ValueSet(), from);
    log.begin();
    log.grew(slot);
    const reuser = log.begin();
    expect(log.recall(1)).toBeDefined();
    expect(log.stale(reuser)).toBe(true);
    log.forget();
    expect(log.recall(1)).toBeUndefined();
  });

  it("after a converged fixpoint reuses what earlier rounds evaluated, unless a slot it read grew later or anything grew since", () => {
    const log = new DependencyLog(8);
    const slots: ValueSet[] = [new ValueSet(), new ValueSet(), new ValueSet(), new ValueSet()];
    const results: ValueSet[] = [new ValueSet(), new ValueSet(), new ValueSet(), new ValueSet()];
    const evaluate = (id: number) => {
      const from = log.mark();
      log.read(slots[id]!);
      log.remember(id, results[id]!, from);
    };
    log.begin();
    evaluate(0);
    evaluate(1);
    log.begin();
    log.grew(slots[1]!);
    evaluate(2);
    evaluate(3);
    log.end();
    log.settle();
    expect(log.recall(0)).toBe(results[0]);
    expect(log.recall(1)).toBeUndefined();
    expect(log.recall(2)).toBe(results[2]);
    log.grew(new ValueSet());
    expect(log.recall(3)).toBeUndefined();
    expect(log.recall(0)).toBe(results[0]);
    expect(log.recall(2)).toBe(results[2]);
  });
});

describe("Resolver fixpoint", () => {
  it("resolves values that flow backwards through the code (later assignments, later call sites)", async () => {
    const code = [
      "from epics import PV",
      "def make(name):",
      "    return PV(PREFIX + name)",
      "def run():",
      "    return holder.pv",
      "class Holder:",
      "    pass",
      "holder = Holder()",
      "holder.pv = make(':SP')",
      "PREFIX = 'SR:Q1'",
      "",
    ].join("\n");
    const { root, nodes } = (await PythonParser.create("wasm")).parse(code);
    const r = new Resolver(code, root, nodes);
    r.solve();
    const module = r.scopes.get(root.id)!;
    const run = [...r.scopes.values()].find((s) => s.kind === "function" && code.slice(s.node.startIndex).startsWith("def run"))!;
    const values = [...r.lookup("holder", module).values()];
    expect(values.map((v) => v.k)).toEqual(["obj"]);
    expect(r.lookup("make", run).size).toBe(1);
    const pv = [...r.getAttr(r.lookup("holder", run), "pv").values()];
    expect(pv).toContainEqual({ k: "inst", fam: "epics.PV", pv: "SR:Q1:SP" });
  });
});
