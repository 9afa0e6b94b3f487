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

/**
 * Members a set finds by comparing values one by one; a larger set keeps an index of their
 * {@link valueKey}s. Most sets hold 0-2 values, and building a key string per value was the
 * fixpoint's largest single cost (docs/performance.md "Session 10 (parse3)").
 */
const LINEAR = 8;

/**
 * True when two values have the same {@link valueKey}, mostly without building it: every kind's
 * key starts with its own prefix, and the keys of the other kinds are equal exactly when these fields are.
 */
function sameKey(a: Value, b: Value): boolean {
  if (a === b) return true;
  switch (a.k) {
    case "qual":
      return b.k === "qual" && a.q === b.q;
    case "str":
      return b.k === "str" && a.s === b.s;
    case "ext":
      return b.k === "ext" && a.q === b.q;
    case "coll":
      return b.k === "coll" && a.id === b.id;
    case "collmeth":
      return b.k === "collmeth" && a.id === b.id;
    case "obj":
      return b.k === "obj" && a.cls.id === b.cls.id;
    case "class":
      return b.k === "class" && a.node.id === b.node.id;
    case "func":
      return b.k === "func" && a.node.id === b.node.id && !a.bound === !b.bound && a.self?.id === b.self?.id;
    case "dyn":
      return b.k === "dyn" && a.reason === b.reason;
    // PV and method names may contain the key's separators: compare the keys themselves
    case "inst":
    case "meth":
      return b.k === a.k && valueKey(a) === valueKey(b);
  }
}

/**
 * A set of possible values in insertion order, de-duplicated by {@link valueKey}. Also a slot of
 * the resolver (a variable, an attribute, a function's returns, ...): {@link grewAt} is the
 * dependency log's clock of the slot's last growth (see `DependencyLog`).
 */
export class ValueSet {
  private readonly list: Value[] = [];
  /** Keys of the members, once there are more than {@link LINEAR}. */
  private index: Set<string> | null = null;
  /** Clock of the last growth, -1 when it never grew (kept here by `DependencyLog`). */
  grewAt = -1;

  get size(): number {
    return this.list.length;
  }

  /** The members in insertion order (live: a loop over them sees members added meanwhile, like a Map's iterator). */
  values(): readonly Value[] {
    return this.list;
  }

  /** Adds `v` unless a member has its key; returns true when the set grew. */
  add(v: Value): boolean {
    const list = this.list;
    if (this.index === null) {
      for (let i = 0; i < list.length; i++) if (sameKey(list[i]!, v)) return false;
      list.push(v);
      if (list.length > LINEAR) this.index = new Set(list.map(valueKey));
      return true;
    }
    const key = valueKey(v);
    if (this.index.has(key)) return false;
    this.index.add(key);
    list.push(v);
    return true;
  }
}

/** A set holding just `v`. */
export function single(v: Value): ValueSet {
  const set = new ValueSet();
  set.add(v);
  return set;
}

/** Adds `from` into `into`; returns true when `into` grew. */
export function addAll(into: ValueSet, from: ValueSet): boolean {
  let grew = false;
  const values = from.values();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v.k === "str" && into.size >= MAX_STRINGS) continue;
    if (into.add(v)) grew = true;
  }
  return grew;
}

/** Adds one value, by the same rule as {@link addAll} without building a set for it; returns true when `into` grew. */
export function addValue(into: ValueSet, v: Value): boolean {
  if (v.k === "str" && into.size >= MAX_STRINGS) return false;
  return into.add(v);
}

/**
 * The empty set, shared by every "nothing known" result instead of a new set each time. Sets that
 * evaluation returns are only ever read (values are added to fresh sets and slots), so sharing is safe.
 */
export const EMPTY: ValueSet = new ValueSet();
