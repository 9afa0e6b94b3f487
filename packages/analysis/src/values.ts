import type { PyNode } from "./py-node.js";

/**
 * Abstract values the resolver tracks per name. Anything it cannot type is simply absent
 * (an empty set means "unknown": it never produces a control-system access on its own).
 */
export type Value =
  /** An imported module or a name inside one, as its dotted import path. */
  | { k: "qual"; q: string }
  /**
   * An object made by a control-system constructor (PV, DeviceProxy, Context, ophyd signal). `pv`
   * is its name as the library keeps it (a pyepics Device's prefix with its delimiter, a motor's
   * record name); `wpv` the PV it writes when that differs (ophyd `EpicsSignal(read_pv, write_pv=...)`).
   */
  | { k: "inst"; fam: string; pv: string | null; wpv?: string | null }
  /** A method of such an object, not yet called. */
  | { k: "meth"; fam: string; name: string; pv: string | null }
  /** Something obtained dynamically from a control module (getattr with a computed name, ...). */
  | { k: "dyn"; reason: string }
  | { k: "str"; s: string }
  /** A function or lambda defined in the code; `bound` skips `self`. */
  | { k: "func"; node: PyNode; bound: boolean; self?: PyNode }
  /** A class defined in the code; `base` is the control-system family it extends, if any. */
  | { k: "class"; node: PyNode; base: string | null }
  /** An instance of a class defined in the code. */
  | { k: "obj"; cls: PyNode }
  /** A list / tuple / dict / set, identified by the node that creates it. */
  | { k: "coll"; id: number }
  /** A method of such a collection (`.values()`, `.get()`, ...). */
  | { k: "collmeth"; id: number }
  /** An object known NOT to be a control-system object: a plain literal or what a non-control library returned. */
  | { k: "ext"; q: string };

/** A set of possible values, keyed for de-duplication. */
export type ValueSet = Map<string, Value>;

/**
 * Most string values kept per set. Strings only label PVs, so dropping some never hides an
 * access; every other kind of value is kept (their number is bounded by the code's size).
 */
export const MAX_STRINGS = 48;

/** Stable identity of a value inside a {@link ValueSet}. */
export function valueKey(v: Value): string {
  switch (v.k) {
    case "qual":
      return `q:${v.q}`;
    case "inst":
      return `i:${v.fam}:${v.pv ?? ""}${v.wpv ? `>${v.wpv}` : ""}`;
    case "meth":
      return `m:${v.fam}:${v.name}:${v.pv ?? ""}`;
    case "dyn":
      return `d:${v.reason}`;
    case "str":
      return `s:${v.s}`;
    case "func":
      return `f:${v.node.id}:${v.bound ? 1 : 0}:${v.self?.id ?? ""}`;
    case "class":
      return `c:${v.node.id}`;
    case "obj":
      return `o:${v.cls.id}`;
    case "coll":
      return `l:${v.id}`;
    case "collmeth":
      return `lm:${v.id}`;
    case "ext":
      return `x:${v.q}`;
  }
}

/** A set holding just `v`. */
export function single(v: Value): ValueSet {
  const set: ValueSet = new Map();
  set.set(valueKey(v), v);
  return set;
}

/** Adds `from` into `into`; returns true when `into` grew. */
export function addAll(into: ValueSet, from: ValueSet): boolean {
  let grew = false;
  for (const [key, v] of from) {
    if (v.k === "str" && into.size >= MAX_STRINGS) continue;
    if (!into.has(key)) {
      into.set(key, v);
      grew = true;
    }
  }
  return grew;
}

/** Adds one value, by the same rule as {@link addAll} without building a set for it; returns true when `into` grew. */
export function addValue(into: ValueSet, v: Value): boolean {
  if (v.k === "str" && into.size >= MAX_STRINGS) return false;
  const key = valueKey(v);
  if (into.has(key)) return false;
  into.set(key, v);
  return true;
}

/**
 * The empty set, shared by every "nothing known" result instead of a new map each time. Sets that
 * evaluation returns are only ever read (values are added to fresh sets and slots), so sharing is safe.
 */
export const EMPTY: ValueSet = new Map();
