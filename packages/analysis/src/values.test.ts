import { describe, expect, it } from "vitest";
import type { PyNode } from "./py-node.js";
import { addAll, MAX_STRINGS, single, type Value, ValueSet, valueKey } from "./values.js";

const node = (id: number) => ({ id }) as PyNode;

/** Values whose keys collide in the ways the key format allows (null vs "", separators inside names). */
const VALUES: Value[] = [
  { k: "qual", q: "epics.caput" },
  { k: "qual", q: "epics.caput" },
  { k: "ext", q: "epics.caput" },
  { k: "str", s: "epics.caput" },
  { k: "dyn", reason: "epics.caput" },
  { k: "inst", fam: "epics.PV", pv: null },
  { k: "inst", fam: "epics.PV", pv: "" },
  { k: "inst", fam: "epics.PV", pv: "A>B" },
  { k: "inst", fam: "epics.PV", pv: "A", wpv: "B" },
  { k: "inst", fam: "epics.PV", pv: "A", wpv: null },
  { k: "inst", fam: "epics.PV", pv: "A" },
  { k: "meth", fam: "epics.PV", name: "get", pv: null },
  { k: "meth", fam: "epics.PV", name: "get", pv: "" },
  { k: "meth", fam: "epics.PV", name: "a:b", pv: "c" },
  { k: "meth", fam: "epics.PV", name: "a", pv: "b:c" },
  { k: "func", node: node(3), bound: false },
  { k: "func", node: node(3), bound: true },
  { k: "func", node: node(3), bound: true, self: node(4) },
  { k: "func", node: node(3), bound: true, self: node(4) },
  { k: "class", node: node(3), base: null },
  { k: "class", node: node(3), base: "epics.Device" },
  { k: "obj", cls: node(3) },
  { k: "coll", id: 3 },
  { k: "collmeth", id: 3 },
  { k: "coll", id: 30 },
];

/** What a set keyed by {@link valueKey} keeps (the representation before ValueSet, and the definition of its identity). */
function byKey(values: Value[]): Value[] {
  const m = new Map<string, Value>();
  for (const v of values) if (!m.has(valueKey(v))) m.set(valueKey(v), v);
  return [...m.values()];
}

describe("ValueSet", () => {
  it("keeps the members a map keyed by valueKey keeps, in the same order, before and after it builds its index", () => {
    for (let start = 0; start < VALUES.length; start++) {
      const order = [...VALUES.slice(start), ...VALUES.slice(0, start)];
      const set = new ValueSet();
      const grew = order.map((v) => set.add(v));
      expect(set.values()).toEqual(byKey(order));
      expect(grew.filter(Boolean).length).toBe(set.size);
    }
  });

  it("adds no string past MAX_STRINGS but still adds other values", () => {
    const set = new ValueSet();
    for (let i = 0; i < MAX_STRINGS + 5; i++) addAll(set, single({ k: "str", s: `s${i}` }));
    expect(set.size).toBe(MAX_STRINGS);
    expect(addAll(set, single({ k: "coll", id: 1 }))).toBe(true);
    expect(addAll(set, single({ k: "coll", id: 1 }))).toBe(false);
  });

  it("a loop over values() sees members added meanwhile, like a Map's iterator", () => {
    const set = single({ k: "coll", id: 1 });
    const seen: number[] = [];
    for (const v of set.values())
      if (v.k === "coll") {
        seen.push(v.id);
        if (v.id < 3) set.add({ k: "coll", id: v.id + 1 });
      }
    expect(seen).toEqual([1, 2, 3]);
  });
});
