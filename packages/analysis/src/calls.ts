import { constructorFamily, FAMILIES, isControlQual, UNNAMED_FAMILIES } from "./catalog.js";
import { fieldPv, instanceName } from "./device-names.js";
import { Evaluator } from "./evaluator.js";
import type { CallArgs } from "./literals.js";
import { type PyNode, field, text } from "./py-node.js";
import type { Scope } from "./scopes.js";
import { addAll, addValue, single, ValueSet } from "./values.js";

/** Python builtins whose results are plain values (an undeclared name that is not one of them may be an injected helper). */
const PLAIN_BUILTINS = new Set(
  "abs all any ascii bin bool bytearray bytes chr complex divmod float format hash hex id input int isinstance issubclass len max min oct open ord pow print range repr round slice str sum type object super property staticmethod classmethod".split(" "),
);
const PASS_THROUGH = new Set(["list", "tuple", "set", "sorted", "reversed", "iter", "enumerate", "zip", "filter", "frozenset"]);

/**
 * What calls evaluate to: control-system constructors and factories, user functions and classes
 * (arguments flow into parameters), and the builtins that move values around or look names up
 * dynamically (`getattr`, `importlib.import_module`, `__import__`, `globals()`, `map`, ...).
 */
export abstract class CallEvaluator extends Evaluator {
  protected evalCall(call: PyNode, scope: Scope, depth: number): ValueSet {
    const fn = field(call, "function");
    const out: ValueSet = new ValueSet();
    if (!fn) return out;
    const args = this.args(call);
    for (const v of this.eval(fn, scope, depth).values()) {
      switch (v.k) {
        case "qual":
          addAll(out, this.callQual(v.q, call, args, scope, depth));
          break;
        case "meth": {
          const child = FAMILIES[v.fam]?.children?.[v.name];
          if (child) {
            const names = this.strings(args.positional[0] ?? args.keywords.get("attr") ?? args.keywords.get("pvname"), scope);
            const direct = v.fam === "epics.Device" && v.name === "add_pv";
            for (const n of names.length > 0 ? names : [null])
              addValue(out, { k: "inst", fam: child, pv: n === null ? null : direct ? n : fieldPv(v.fam, v.pv, n) });
            break;
          }
          const family = FAMILIES[v.fam]?.factories?.[v.name];
          if (!family) break;
          this.touch(call.id);
          const perArg = args.positional.map((a) => {
            const names = this.strings(a, scope);
            const vs: ValueSet = new ValueSet();
            for (const pv of names.length > 0 ? names : [null]) addValue(vs, { k: "inst", fam: family, pv });
            this.add(this.items.get(call.id)!, vs);
            return vs;
          });
          this.setPositions(call.id, perArg);
          addValue(out, { k: "coll", id: call.id });
          break;
        }
        case "dyn":
          addValue(out, v);
          break;
        case "func":
          this.bindArgs(v.node, v.bound, args, scope, depth, v.self);
          addAll(out, this.slotIn(this.returns, v.node.id));
          if (v.node.type === "lambda") {
            const body = field(v.node, "body");
            const inner = this.scopes.get(v.node.id);
            if (body && inner) addAll(out, this.eval(body, inner, depth));
          }
          break;
        case "class": {
          if (v.base) {
            addAll(out, this.instances(v.base, call, scope));
            break;
          }
          addValue(out, { k: "obj", cls: v.node });
          for (const init of this.classMember(v.node, "__init__", v.node).values())
            if (init.k === "func") this.bindArgs(init.node, true, args, scope, depth, v.node);
          break;
        }
        case "ext":
          addValue(out, v);
          break;
        case "collmeth":
          addAll(out, this.slotIn(this.items, v.id));
          addValue(out, { k: "coll", id: v.id });
          break;
        default:
          break;
      }
    }
    return out;
  }

  private pvOrNull(call: PyNode, scope: Scope): Array<string | null> {
    const names = this.pvNames(call, scope);
    return names.length > 0 ? names : [null];
  }

  /** The objects a constructor call of a family makes, named as the library names them. */
  private instances(fam: string, call: PyNode, scope: Scope): ValueSet {
    const out: ValueSet = new ValueSet();
    if (UNNAMED_FAMILIES.has(fam)) return single({ k: "inst", fam, pv: null });
    const args = this.args(call);
    const delim = fam === "epics.Device" ? (this.strings(args.keywords.get("delim"), scope)[0] ?? null) : null;
    const writePvs = fam === "ophyd.EpicsSignal" ? this.strings(args.keywords.get("write_pv"), scope) : [];
    for (const pv of this.pvOrNull(call, scope)) {
      const name = pv === null ? null : instanceName(fam, pv, delim);
      if (writePvs.length === 0) addValue(out, { k: "inst", fam, pv: name });
      for (const wpv of writePvs) addValue(out, { k: "inst", fam, pv: name, wpv });
    }
    return out;
  }

  private callQual(q: string, call: PyNode, args: CallArgs, scope: Scope, depth: number): ValueSet {
    const out: ValueSet = new ValueSet();
    const fam = constructorFamily(q);
    if (fam) return this.instances(fam, call, scope);
    const first = args.positional[0];
    if (q === "importlib.import_module" || q === "builtins.__import__") {
      const names = this.strings(first, scope);
      if (names.length === 0) return single({ k: "dyn", reason: `${q.replace("builtins.", "")}() at line ${call.row + 1} imports a module by a computed name` });
      for (const n of names) addValue(out, { k: "qual", q: q === "builtins.__import__" ? (n.split(".")[0] ?? n) : n });
      return out;
    }
    if (q === "builtins.getattr" && first) {
      const target = this.eval(first, scope, depth);
      const names = this.strings(args.positional[1], scope);
      if (names.length > 0) for (const n of names) addAll(out, this.getAttr(target, n));
      else if (this.isControlish(target))
        addValue(out, { k: "dyn", reason: `getattr(${text(this.src, first)}, ...) at line ${call.row + 1} uses a computed attribute name` });
      const fallback = args.positional[2];
      if (fallback) addAll(out, this.eval(fallback, scope, depth));
      return out;
    }
    if ((q === "builtins.vars" || q === "builtins.globals" || q === "builtins.locals") && this.controlInUse())
      return single({ k: "dyn", reason: `${q.replace("builtins.", "")}() at line ${call.row + 1} looks names up dynamically` });
    if (q.startsWith("builtins.") && PASS_THROUGH.has(q.slice(9))) {
      for (const a of args.positional) addAll(out, this.eval(a, scope, depth));
      return out;
    }
    if (q === "builtins.next" && first) return this.elements(this.eval(first, scope, depth));
    if (q === "builtins.map" && first) return this.mapCall(first, args.positional.slice(1), call, scope, depth);
    if (q === "builtins.dict") {
      this.touch(call.id);
      for (const a of [...args.positional, ...args.keywords.values()]) this.add(this.items.get(call.id)!, this.eval(a, scope, depth));
      return single({ k: "coll", id: call.id });
    }
    return isControlQual(q) || (q.startsWith("builtins.") && !PLAIN_BUILTINS.has(q.slice(9))) ? out : single({ k: "ext", q });
  }

  /** `map(F, xs)`: a collection of what calling F on the elements of xs gives (constructors and functions). */
  private mapCall(fn: PyNode, iterables: PyNode[], call: PyNode, scope: Scope, depth: number): ValueSet {
    this.touch(call.id);
    const into = this.items.get(call.id)!;
    const names: string[] = [];
    for (const it of iterables) for (const e of this.elements(this.eval(it, scope, depth)).values()) if (e.k === "str") names.push(e.s);
    for (const v of this.eval(fn, scope, depth).values()) {
      const fam = v.k === "qual" ? constructorFamily(v.q) : null;
      if (fam)
        for (const pv of names.length > 0 && !UNNAMED_FAMILIES.has(fam) ? names : [null])
          this.addOne(into, { k: "inst", fam, pv: pv === null ? null : instanceName(fam, pv, null) });
      if (v.k === "func") this.add(into, this.slotIn(this.returns, v.node.id));
      if (v.k === "dyn") this.addOne(into, v);
    }
    return single({ k: "coll", id: call.id });
  }

  private bindArgs(fn: PyNode, bound: boolean, args: CallArgs, scope: Scope, depth: number, self?: PyNode): void {
    const inner = this.scopes.get(fn.id);
    if (!inner) return;
    const { positional, star } = this.signature(fn);
    if (bound && self && positional[0]) this.setParam(positional[0], inner, single({ k: "obj", cls: self }));
    const skip = bound ? 1 : 0;
    for (let i = 0; i < args.positional.length; i++) {
      const values = this.eval(args.positional[i]!, scope, depth);
      const target = positional[i + skip];
      if (target) this.setParam(target, inner, values);
      else if (star) {
        this.touch(star.node.id);
        this.add(this.items.get(star.node.id)!, values);
        this.setParam(star, inner, single({ k: "coll", id: star.node.id }));
      }
    }
    for (const [name, node] of args.keywords) {
      const target = positional.find((p) => p.name === name);
      if (target) this.setParam(target, inner, this.eval(node, scope, depth));
    }
  }
}
