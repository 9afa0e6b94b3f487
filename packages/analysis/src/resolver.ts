import { constructorFamily, isControlQual } from "./catalog.js";
import { CallEvaluator } from "./calls.js";
import type { DependencyLog, Reads } from "./dependencies.js";
import { KIND } from "./node-kinds.js";
import { type PyNode, field, fields, namedChildren, text } from "./py-node.js";
import { importedName, type Scope } from "./scopes.js";
import { single, ValueSet } from "./values.js";

const MAX_ITERATIONS = 12;

/**
 * A small flow-insensitive resolver: every name in every scope gets the union of the values
 * assigned to it anywhere, function parameters get the union of their call-site arguments,
 * calls get the union of the function's returns, attributes stored on objects get a shared
 * per-attribute slot. It iterates to a fixpoint, so values flow through variables, functions,
 * containers and `self.x` in any order: the first round evaluates every binding node, later
 * rounds only the nodes that read a slot which grew after they read it (see {@link DependencyLog}),
 * so code whose values flow forwards is resolved in one pass. Over-approximating is the safe
 * direction here.
 */
export class Resolver extends CallEvaluator {
  /** Propagates values until no binding node is stale (bounded). */
  solve(): void {
    // Parallel arrays rather than [node, scope] pairs: the list is walked up to MAX_ITERATIONS times.
    const work: PyNode[] = [];
    const workScopes: Scope[] = [];
    const { nodes, scopes, kinds } = this.scoped;
    for (let i = 0; i < nodes.length; i++)
      if (kinds[i]! & KIND.binding) {
        work.push(nodes[i]!);
        workScopes.push(scopes[i]!);
      }
    const reads: Reads[] = [];
    let pending = work.map((_, j) => j);
    for (let i = 0; i < MAX_ITERATIONS && pending.length > 0; i++) {
      this.log.forget();
      const start = this.log.now();
      for (const j of pending) {
        reads[j] = this.log.begin();
        this.bindNode(work[j]!, workScopes[j]!);
      }
      this.log.end();
      pending = [];
      // Every node was not stale after the previous round: only a growth in this one can make it stale.
      if (!this.log.grewAfter(start)) break;
      for (let j = 0; j < work.length; j++) if (this.log.stale(reads[j]!)) pending.push(j);
    }
    if (pending.length === 0) this.log.settle();
    else this.log.forget();
  }

  /** Binds a target pattern to values (attributes go to the per-name field slot). */
  bind(target: PyNode, values: ValueSet, scope: Scope): void {
    switch (target.type) {
      case "identifier":
        this.setVarNode(target, scope, values);
        return;
      case "attribute": {
        const attr = field(target, "attribute");
        const obj = field(target, "object");
        if (!attr || !obj) return;
        const name = text(this.src, attr);
        this.addToSlot(this.attrs.all, name, values);
        let typed = false;
        for (const v of this.eval(obj, scope).values())
          if (v.k === "obj") {
            typed = true;
            this.addToSlot(this.attrs.byClass, `${v.cls.id}:${name}`, values);
          }
        if (!typed) this.addToSlot(this.attrs.untyped, name, values);
        return;
      }
      case "subscript": {
        const value = field(target, "value");
        if (!value) return;
        for (const v of this.eval(value, scope).values())
          if (v.k === "coll") {
            this.touch(v.id);
            this.add(this.items.get(v.id)!, values);
          }
        return;
      }
      case "pattern_list":
      case "tuple_pattern":
      case "list_pattern":
      case "tuple":
      case "list":
      case "parenthesized_expression":
      case "list_splat_pattern":
      case "as_pattern_target": {
        const kids = namedChildren(target);
        if (target.type === "as_pattern_target" || target.type === "parenthesized_expression") {
          for (const c of kids) this.bind(c, values, scope);
          return;
        }
        const exact = kids.some((c) => c.type === "list_splat_pattern" || c.type === "list_splat") ? null : this.byPosition(values, kids.length);
        for (const [i, c] of kids.entries()) this.bind(c, exact ? exact[i]! : this.elements(values), scope);
        return;
      }
      default:
        return;
    }
  }

  private addToSlot(slots: Map<string, ValueSet>, key: string, values: ValueSet): void {
    let slot = slots.get(key);
    if (!slot) {
      slot = new ValueSet();
      slots.set(key, slot);
    }
    this.add(slot, values);
  }

  private bindNode(n: PyNode, s: Scope): void {
    switch (n.type) {
      case "assignment":
      case "augmented_assignment": {
        const left = field(n, "left");
        const right = field(n, "right");
        if (left && right) this.bind(left, this.eval(right, s), s);
        return;
      }
      case "for_statement":
      case "for_in_clause": {
        const left = field(n, "left");
        const right = field(n, "right");
        if (left && right) this.bind(left, this.elements(this.eval(right, s)), s);
        return;
      }
      case "as_pattern": {
        const alias = field(n, "alias");
        const value = firstNamed(n);
        if (alias && value && n.parent?.type === "with_item") this.bind(alias, this.eval(value, s), s);
        return;
      }
      case "named_expression": {
        const name = field(n, "name");
        const value = field(n, "value");
        if (name && value) this.bind(name, this.eval(value, s), s);
        return;
      }
      case "return_statement": {
        const value = firstNamed(n);
        const fn = s.kind === "function" ? s.node : null;
        if (!value || !fn) return;
        this.touchReturn(fn.id);
        this.add(this.returns.get(fn.id)!, this.eval(value, s));
        return;
      }
      case "yield": {
        const value = firstNamed(n);
        const fn = s.kind === "function" ? s.node : null;
        if (!value || !fn) return;
        const yielded = text(this.src, n).startsWith("yield from") ? this.elements(this.eval(value, s)) : this.eval(value, s);
        this.touch(n.id);
        this.add(this.items.get(n.id)!, yielded);
        this.touchReturn(fn.id);
        this.addOne(this.returns.get(fn.id)!, { k: "coll", id: n.id });
        return;
      }
      case "call":
        this.eval(n, s);
        return;
      case "import_statement":
      case "import_from_statement":
        this.bindImport(n, s);
        return;
      case "function_definition":
      case "class_definition":
        this.bindDefinition(n, s);
        return;
      default:
        return;
    }
  }

  private controlUsed(): void {
    if (this.usesControl) return;
    this.usesControl = true;
    this.log.grew(this.flags.control);
  }

  private touchReturn(id: number): void {
    if (!this.returns.has(id)) this.returns.set(id, new ValueSet());
  }

  private bindImport(n: PyNode, s: Scope): void {
    const from = n.type === "import_from_statement" ? field(n, "module_name") : undefined;
    const base = from ? text(this.src, from) : null;
    if (base !== null && namedChildren(n).some((c) => c.type === "wildcard_import")) {
      if (!s.stars.includes(base)) {
        s.stars.push(base);
        this.log.grew(this.flags.stars);
      }
      if (isControlQual(base)) this.controlUsed();
    }
    for (const c of fields(n, "name")) {
      const dotted = c.type === "aliased_import" ? text(this.src, field(c, "name")!) : text(this.src, c);
      const q = base !== null ? `${base}.${dotted}` : c.type === "aliased_import" ? dotted : (dotted.split(".")[0] ?? dotted);
      if (isControlQual(q)) this.controlUsed();
      this.setVar(s, importedName(this.src, c, base === null), single({ k: "qual", q }));
    }
  }

  private bindDefinition(n: PyNode, s: Scope): void {
    const name = field(n, "name");
    if (!name) return;
    if (n.type === "function_definition") {
      this.setVarNode(name, s, single({ k: "func", node: n, bound: false }));
      const inner = this.scopes.get(n.id);
      const params = this.paramsOf(n);
      const self = params[0];
      if (s.kind === "class" && inner && self?.kind === "pos" && !isStatic(this.src, n)) this.setParam(self, inner, single({ k: "obj", cls: s.node }));
      for (const p of params) if (p.defaultValue && inner) this.setParam(p, inner, this.eval(p.defaultValue, s));
      return;
    }
    let base: string | null = null;
    const supers = field(n, "superclasses");
    const bases = supers ? namedChildren(supers).filter((c) => c.type !== "keyword_argument") : [];
    for (const b of bases)
      for (const v of this.eval(b, s).values()) {
        if (v.k === "qual") base = constructorFamily(v.q) ?? base;
        if (v.k === "class" && v.base) base = v.base;
        if (v.k === "class") this.relate(v.node, n);
      }
    this.setVarNode(name, s, single({ k: "class", node: n, base }));
  }
}

/** The first named child (what `namedChildren(n)[0]` is, without the list: every round binds these nodes again). */
function firstNamed(n: PyNode): PyNode | undefined {
  for (const c of n.children) if (c.named) return c;
  return undefined;
}

/** True for `@staticmethod` / `@classmethod` functions (their first parameter is not an instance). */
function isStatic(src: string, fn: PyNode): boolean {
  const decorated = fn.parent?.type === "decorated_definition" ? fn.parent : null;
  return !!decorated && namedChildren(decorated).some((d) => d.type === "decorator" && /staticmethod|classmethod/.test(text(src, d)));
}
