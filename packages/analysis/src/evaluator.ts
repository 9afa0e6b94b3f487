import { FAMILIES, isControlQual } from "./catalog.js";
import { ophydComponent } from "./device-names.js";
import { DependencyLog } from "./dependencies.js";
import { type CallArgs, callArgs, literal } from "./literals.js";
import { type PyNode, field, namedChildren, text } from "./py-node.js";
import { buildScopes, type Param, paramsOf, type Scope, type ScopedNodes } from "./scopes.js";
import { addAll, addValue, EMPTY, single, type Value, ValueSet } from "./values.js";

const MAX_DEPTH = 64;

/** The parameters of a function, and the ones calls bind their arguments to. */
export interface Signature {
  params: Param[];
  /** Parameters arguments bind to by position or keyword, in order. */
  positional: Param[];
  /** The `*args` parameter. */
  star: Param | undefined;
}
const PV_KEYWORDS = new Set(["pvname", "pv", "read_pv", "prefix", "channel", "device_name"]);

/**
 * Expression evaluation over abstract values (see {@link Value}): names, attributes, calls,
 * literals and collections. Calls are evaluated by {@link CallEvaluator}; the binding side
 * (assignments, imports, the fixpoint) lives in {@link Resolver}, which extends both.
 */
export abstract class Evaluator {
  readonly scopes: Map<number, Scope>;
  /** Every node with the scope it is evaluated in (the passes loop over these parallel arrays). */
  readonly scoped: ScopedNodes;
  /**
   * Attribute slots: `all` holds every value stored under an attribute name (read through
   * receivers of unknown type), `byClass` what was stored on instances of one class (key
   * `classId:name`), `untyped` what was stored through receivers of unknown type (instances
   * read it too, since the receiver may have been one of them).
   */
  protected readonly attrs = {
    all: new Map<string, ValueSet>(),
    byClass: new Map<string, ValueSet>(),
    untyped: new Map<string, ValueSet>(),
  };
  protected readonly returns = new Map<number, ValueSet>();
  protected readonly items = new Map<number, ValueSet>();
  /** Per-position values of tuple / list literals and factory results, for precise unpacking. */
  private readonly positional = new Map<number, ValueSet[]>();
  /** Reads and growths of slots, and `eval` results per node within one fixpoint round (see {@link DependencyLog}). */
  protected readonly log: DependencyLog;
  /**
   * Stand-ins for state that is not a slot, so its readers are found like a slot's: positions of
   * a collection (per node id), the module's star imports, class families, {@link usesControl}.
   */
  private readonly positionSlots = new Map<number, ValueSet>();
  protected readonly flags: { stars: ValueSet; families: ValueSet; control: ValueSet } = { stars: new ValueSet(), families: new ValueSet(), control: new ValueSet() };
  private readonly families = new Map<number, PyNode[]>();
  private readonly methodsByClass = new Map<number, Map<string, PyNode[]>>();
  /** Identifier names by node id (see {@link nameOf}). */
  private readonly names: Array<string | undefined>;
  /** Arguments of call nodes by node id (see {@link args}). */
  private readonly argsByCall: Array<CallArgs | undefined>;
  /** Parameters of function and lambda nodes by node id (see {@link signature}). */
  private readonly paramsByFunction: Array<Signature | undefined>;
  /**
   * The variable slot an identifier node reads, by node id, with the scope it was resolved in: a
   * name's owner and its slot never change once the scopes are built, and the same identifier is
   * evaluated again in every round and by detection.
   */
  private readonly varSlots: Array<ValueSet | undefined>;
  private readonly varSlotScopes: Array<Scope | undefined>;
  /** The variable slot an identifier node binds, by node id, with the scope it was bound in (see {@link setVarNode}). */
  private readonly bindSlots: Array<ValueSet | undefined>;
  /**
   * What an identifier no scope binds (a builtin, a star-imported or an undefined name) evaluated
   * to, by node id: the same values while the module star-imports the same modules (the list only
   * grows), so every round and detection reuse them instead of building the set and its names again.
   */
  private readonly unowned = new Map<number, { scope: Scope; stars: number; values: ValueSet }>();
  private readonly bindSlotScopes: Array<Scope | undefined>;
  /** True when the module imports any control-system client (makes `globals()` lookups dynamic). */
  usesControl = false;

  /** `nodes`: every node of the tree under `root` in document order, by id (see `ParsedModule.nodes`). */
  constructor(
    readonly src: string,
    readonly root: PyNode,
    nodes: PyNode[],
  ) {
    this.log = new DependencyLog(nodes.length);
    this.names = new Array(nodes.length);
    this.argsByCall = new Array(nodes.length);
    this.paramsByFunction = new Array(nodes.length);
    this.varSlots = new Array(nodes.length);
    this.varSlotScopes = new Array(nodes.length);
    this.bindSlots = new Array(nodes.length);
    this.bindSlotScopes = new Array(nodes.length);
    ({ scopes: this.scopes, scoped: this.scoped } = buildScopes(src, root, nodes));
  }

  /**
   * The name an identifier node spells, sliced once per node: the resolver looks it up, and the
   * undefined-name rule asks again (the same string, so its hash is computed once too).
   */
  nameOf(node: PyNode): string {
    let name = this.names[node.id];
    if (name === undefined) {
      name = text(this.src, node);
      this.names[node.id] = name;
    }
    return name;
  }

  /** Arguments of a call node (computed once per node: the tree does not change). */
  args(call: PyNode): CallArgs {
    let a = this.argsByCall[call.id];
    if (!a) {
      a = callArgs(this.src, call);
      this.argsByCall[call.id] = a;
    }
    return a;
  }

  /** Parameters of a function or lambda node (computed once per node: every call and every round asks again). */
  paramsOf(fn: PyNode): Param[] {
    return this.signature(fn).params;
  }

  /** {@link paramsOf} with the positional parameters and the `*args` parameter picked out (once per node). */
  protected signature(fn: PyNode): Signature {
    let sig = this.paramsByFunction[fn.id];
    if (!sig) {
      const params = paramsOf(this.src, fn);
      sig = { params, positional: params.filter((p) => p.kind === "pos"), star: params.find((p) => p.kind === "star") };
      this.paramsByFunction[fn.id] = sig;
    }
    return sig;
  }

  /** Plain string value of a literal without interpolation, else null. */
  literal(node: PyNode): string | null {
    return literal(this.src, node);
  }

  /** Evaluates an expression in the scope it is evaluated in (see {@link scoped}). */
  eval(node: PyNode, scope: Scope, depth = 0): ValueSet {
    const hit = this.log.recall(node.id);
    if (hit) return hit;
    const from = this.log.mark();
    const values = this.evalUncached(node, scope, depth);
    this.log.remember(node.id, values, from);
    return values;
  }

  /** Values of a call expression (implemented by {@link CallEvaluator}). */
  protected abstract evalCall(call: PyNode, scope: Scope, depth: number): ValueSet;

  private evalUncached(node: PyNode, scope: Scope, depth: number): ValueSet {
    if (depth > MAX_DEPTH) return EMPTY;
    const d = depth + 1;
    switch (node.type) {
      case "identifier":
        return this.lookupNode(node, scope);
      case "attribute": {
        const obj = field(node, "object");
        const attr = field(node, "attribute");
        if (!obj || !attr) return EMPTY;
        return this.getAttr(this.eval(obj, scope, d), text(this.src, attr));
      }
      case "call":
        return this.evalCall(node, scope, d);
      case "string":
      case "concatenated_string": {
        const s = literal(this.src, node);
        return s === null ? EMPTY : single({ k: "str", s });
      }
      case "binary_operator": {
        const op = field(node, "operator");
        const l = field(node, "left");
        const r = field(node, "right");
        if (op?.type !== "+" || !l || !r) return EMPTY;
        const out: ValueSet = new ValueSet();
        for (const a of this.eval(l, scope, d).values())
          for (const b of this.eval(r, scope, d).values())
            if (a.k === "str" && b.k === "str") addValue(out, { k: "str", s: a.s + b.s });
        return out;
      }
      case "parenthesized_expression":
      case "await":
      case "assignment":
      case "named_expression":
      case "starred":
      case "list_splat":
      case "expression_statement": {
        const inner = field(node, "right") ?? field(node, "value") ?? namedChildren(node)[0];
        return inner ? this.eval(inner, scope, d) : EMPTY;
      }
      case "conditional_expression": {
        const [a, , b] = namedChildren(node);
        const out: ValueSet = new ValueSet();
        if (a) addAll(out, this.eval(a, scope, d));
        if (b) addAll(out, this.eval(b, scope, d));
        return out;
      }
      case "boolean_operator": {
        const out: ValueSet = new ValueSet();
        for (const c of namedChildren(node)) addAll(out, this.eval(c, scope, d));
        return out;
      }
      case "list":
      case "tuple":
      case "set":
      case "expression_list":
      case "dictionary":
      case "list_comprehension":
      case "set_comprehension":
      case "generator_expression":
      case "dictionary_comprehension":
        this.fillCollection(node, scope, d);
        return single({ k: "coll", id: node.id });
      case "subscript": {
        const value = field(node, "value");
        if (!value) return EMPTY;
        const container = this.eval(value, scope, d);
        const out = this.elements(container);
        for (const v of container.values())
          if (v.k === "qual" && v.q === "sys.modules") {
            const names = this.strings(field(node, "subscript"), scope);
            for (const n of names) addValue(out, { k: "qual", q: n });
            if (names.length === 0) addValue(out, { k: "dyn", reason: `module looked up in sys.modules by a computed name at line ${node.row + 1}` });
          }
        return out;
      }
      case "integer":
      case "float":
      case "true":
      case "false":
      case "none":
        return single({ k: "ext", q: "builtins.literal" });
      case "lambda":
        return single({ k: "func", node, bound: false });
      default:
        return EMPTY;
    }
  }

  /** String values an expression may have (literals and simple constants). */
  strings(node: PyNode | undefined, scope: Scope): string[] {
    if (!node) return [];
    const out: string[] = [];
    for (const v of this.eval(node, scope).values()) {
      if (v.k === "str") out.push(v.s);
      if (v.k === "coll") for (const e of this.slotIn(this.items, v.id).values()) if (e.k === "str") out.push(e.s);
    }
    return out;
  }

  /** PV names given to a call: its first positional argument or a PV-ish keyword. */
  pvNames(call: PyNode, scope: Scope): string[] {
    const args = this.args(call);
    let node = args.positional[0];
    if (!node) for (const [k, v] of args.keywords) if (PV_KEYWORDS.has(k)) node = v;
    const names = this.strings(node, scope);
    // most calls name one PV: a fresh array of fewer than two names has no duplicates to drop
    return names.length < 2 ? names : [...new Set(names)];
  }

  /** Values obtained by iterating or indexing the given values. */
  elements(vs: ValueSet): ValueSet {
    const out: ValueSet = new ValueSet();
    for (const v of vs.values()) {
      if (v.k === "coll") addAll(out, this.slotIn(this.items, v.id));
      if (v.k === "dyn" || v.k === "ext") addValue(out, v);
    }
    return out;
  }

  lookup(name: string, scope: Scope): ValueSet {
    const owner = this.owner(name, scope);
    if (owner) return this.slotIn(owner.vars, name);
    const out: ValueSet = new ValueSet();
    const module = this.moduleScope(scope);
    this.log.read(this.flags.stars);
    for (const m of module.stars) addValue(out, { k: "qual", q: `${m}.${name}` });
    addValue(out, { k: "qual", q: `builtins.${name}` });
    return out;
  }

  /** {@link lookup} of an identifier node, its slot kept per node when the name has an owner. */
  private lookupNode(node: PyNode, scope: Scope): ValueSet {
    const slot = this.varSlots[node.id];
    if (slot && this.varSlotScopes[node.id] === scope) return this.log.read(slot);
    const unowned = this.unowned.get(node.id);
    if (unowned && unowned.scope === scope && unowned.stars === this.moduleScope(scope).stars.length) {
      this.log.read(this.flags.stars);
      return unowned.values;
    }
    const name = this.nameOf(node);
    const owner = this.owner(name, scope);
    if (!owner) {
      const values = this.lookup(name, scope);
      this.unowned.set(node.id, { scope, stars: this.moduleScope(scope).stars.length, values });
      return values;
    }
    const found = this.slotIn(owner.vars, name);
    this.varSlots[node.id] = found;
    this.varSlotScopes[node.id] = scope;
    return found;
  }

  getAttr(vs: ValueSet, attr: string): ValueSet {
    const out: ValueSet = new ValueSet();
    let typed = false;
    for (const v of vs.values()) {
      switch (v.k) {
        case "qual":
          typed = true;
          addValue(out, attr === "__dict__" && isControlQual(v.q) ? { k: "dyn", reason: `names looked up in ${v.q}.__dict__` } : { k: "qual", q: `${v.q}.${attr}` });
          break;
        case "inst": {
          typed = true;
          addValue(out, { k: "meth", fam: v.fam, name: attr, pv: v.pv });
          const component = FAMILIES[v.fam]?.components ? ophydComponent(v, attr) : null;
          if (component) addValue(out, component);
          break;
        }
        case "dyn":
          typed = true;
          addValue(out, v);
          break;
        case "coll":
          typed = true;
          addValue(out, { k: "collmeth", id: v.id });
          break;
        case "ext":
          typed = true;
          addValue(out, v);
          break;
        case "obj":
          typed = true;
          addAll(out, this.classMember(v.cls, attr, v.cls));
          break;
        case "class":
          typed = true;
          addAll(out, this.classMember(v.node, attr, null));
          break;
        default:
          break;
      }
    }
    if (!typed) addAll(out, this.slotIn(this.attrs.all, attr));
    return out;
  }

  /** A member of a user class; `self` is the instance's class when accessed through an instance. */
  protected classMember(cls: PyNode, attr: string, self: PyNode | null): ValueSet {
    const out: ValueSet = new ValueSet();
    for (const member of this.family(cls)) {
      const defs = this.methodsOf(member).get(attr);
      if (defs) for (const def of defs) addValue(out, self ? { k: "func", node: def, bound: true, self } : { k: "func", node: def, bound: false });
      const scope = this.scopes.get(member.id);
      if (scope) addAll(out, this.slotIn(scope.vars, attr));
      addAll(out, this.slotIn(this.attrs.byClass, `${member.id}:${attr}`));
    }
    addAll(out, this.slotIn(this.attrs.untyped, attr));
    return out;
  }

  /** The functions a class body defines, by name, in body order (computed once per class: attribute lookups ask every round). */
  private methodsOf(cls: PyNode): Map<string, PyNode[]> {
    let methods = this.methodsByClass.get(cls.id);
    if (methods) return methods;
    methods = new Map();
    const body = field(cls, "body");
    for (const stmt of body ? namedChildren(body) : []) {
      const def = stmt.type === "decorated_definition" ? field(stmt, "definition") : stmt;
      const name = def && field(def, "name");
      if (def?.type !== "function_definition" || !name) continue;
      const key = text(this.src, name);
      const list = methods.get(key);
      if (list) list.push(def);
      else methods.set(key, [def]);
    }
    this.methodsByClass.set(cls.id, methods);
    return methods;
  }

  /**
   * A user class with every user class it is related to by inheritance (bases and subclasses):
   * a method of a base reads `self.x` that a subclass set, and the other way round.
   */
  protected family(cls: PyNode): PyNode[] {
    this.log.read(this.flags.families);
    return this.families.get(cls.id) ?? [cls];
  }

  /** Records that `sub` inherits from `base` (both user classes); merges their families. */
  protected relate(base: PyNode, sub: PyNode): void {
    const a = this.family(base);
    const b = this.family(sub);
    if (a === b || a.includes(sub)) return;
    const merged = [...new Set([...a, ...b])];
    for (const c of merged) this.families.set(c.id, merged);
    this.log.grew(this.flags.families);
  }

  /** {@link usesControl}, read as a dependency (an import found later makes the reader stale). */
  protected controlInUse(): boolean {
    this.log.read(this.flags.control);
    return this.usesControl;
  }

  /** True when values come from a control-system module or object (or are already dynamic). */
  isControlish(vs: ValueSet): boolean {
    for (const v of vs.values()) {
      if (v.k === "qual" && isControlQual(v.q)) return true;
      if (v.k === "inst" || v.k === "dyn") return true;
    }
    return false;
  }

  private fillCollection(node: PyNode, scope: Scope, depth: number): void {
    this.touch(node.id);
    const into = this.items.get(node.id)!;
    const body = field(node, "body");
    if (body) {
      const parts = body.type === "pair" ? namedChildren(body) : [body];
      for (const p of parts) this.add(into, this.eval(p, scope, depth));
      return;
    }
    const perPosition: ValueSet[] = [];
    let exact = node.type !== "dictionary" && node.type !== "set";
    for (const c of namedChildren(node)) {
      const parts = c.type === "pair" ? namedChildren(c) : [c];
      for (const p of parts) {
        const values = this.eval(p, scope, depth);
        const splat = p.type === "list_splat" || p.type === "dictionary_splat";
        if (splat) exact = false;
        this.add(into, splat ? this.elements(values) : values);
        perPosition.push(values);
      }
    }
    if (exact) this.setPositions(node.id, perPosition);
  }

  /** Values per position when every value is a collection of exactly `n` known positions. */
  protected byPosition(values: ValueSet, n: number): ValueSet[] | null {
    if (values.size === 0) return null;
    const out: ValueSet[] = Array.from({ length: n }, () => new ValueSet());
    for (const v of values.values()) {
      const per = v.k === "coll" ? this.positionsOf(v.id) : undefined;
      if (!per || per.length !== n) return null;
      for (const [i, vs] of per.entries()) addAll(out[i]!, vs);
    }
    return out;
  }

  /** Records the values per position of a collection; a change counts as a growth for its readers. */
  protected setPositions(id: number, per: ValueSet[]): void {
    const old = this.positional.get(id);
    this.positional.set(id, per);
    if (!old || old.length !== per.length || old.some((vs, i) => vs.size !== per[i]!.size)) this.log.grew(this.positionSlot(id));
  }

  private positionsOf(id: number): ValueSet[] | undefined {
    this.log.read(this.positionSlot(id));
    return this.positional.get(id);
  }

  private positionSlot(id: number): ValueSet {
    let slot = this.positionSlots.get(id);
    if (!slot) {
      slot = new ValueSet();
      this.positionSlots.set(id, slot);
    }
    return slot;
  }

  /** The slot under `key` (created empty when missing), logged as read. */
  protected slotIn<K>(slots: Map<K, ValueSet>, key: K): ValueSet {
    let slot = slots.get(key);
    if (!slot) {
      slot = new ValueSet();
      slots.set(key, slot);
    }
    return this.log.read(slot);
  }

  protected touch(id: number): void {
    if (!this.items.has(id)) this.items.set(id, new ValueSet());
  }

  /** Adds values to a slot, stamping it when it grew. */
  protected add(into: ValueSet, from: ValueSet): void {
    if (addAll(into, from)) this.log.grew(into);
  }

  /** {@link add} for one value. */
  protected addOne(into: ValueSet, v: Value): void {
    if (addValue(into, v)) this.log.grew(into);
  }

  /** The scope `name` binds in when used in `scope` (memoised per scope, see {@link Scope.owners}). */
  protected owner(name: string, scope: Scope): Scope | null {
    let owner = scope.owners.get(name);
    if (owner === undefined) {
      owner = this.findOwner(name, scope);
      scope.owners.set(name, owner);
    }
    return owner;
  }

  private findOwner(name: string, scope: Scope): Scope | null {
    if (scope.globals.has(name)) return this.moduleScope(scope);
    if (scope.declared.has(name)) return scope;
    for (let s = scope.parent; s; s = s.parent) {
      if (s.kind === "class") continue;
      if (s.globals.has(name)) return this.moduleScope(s);
      if (s.declared.has(name)) return s;
    }
    return null;
  }

  protected moduleScope(scope: Scope): Scope {
    let s = scope;
    while (s.parent) s = s.parent;
    return s;
  }

  protected setVar(scope: Scope, name: string, values: ValueSet): void {
    this.add(this.varSlot(scope, name), values);
  }

  /** {@link setVar} of an identifier node, its slot kept per node like {@link lookupNode}'s (bound again every round). */
  protected setVarNode(node: PyNode, scope: Scope, values: ValueSet): void {
    this.add(this.boundSlot(node, scope, null), values);
  }

  /** {@link setVar} of a parameter in its function's scope, its slot kept per parameter node (bound at every call, every round). */
  protected setParam(p: Param, scope: Scope, values: ValueSet): void {
    this.add(this.boundSlot(p.node, scope, p.name), values);
  }

  /**
   * The slot a node binds in `scope`, kept per node: `name` is the name the node binds (null:
   * its text). A node always binds the same name, so the node and the scope decide the slot.
   */
  private boundSlot(node: PyNode, scope: Scope, name: string | null): ValueSet {
    let slot = this.bindSlots[node.id];
    if (!slot || this.bindSlotScopes[node.id] !== scope) {
      slot = this.varSlot(scope, name ?? this.nameOf(node));
      this.bindSlots[node.id] = slot;
      this.bindSlotScopes[node.id] = scope;
    }
    return slot;
  }

  /** The slot a name bound in `scope` goes to (created empty when missing; names nobody declares go to the module). */
  private varSlot(scope: Scope, name: string): ValueSet {
    const owner = this.owner(name, scope) ?? this.moduleScope(scope);
    let slot = owner.vars.get(name);
    if (!slot) {
      slot = new ValueSet();
      owner.vars.set(name, slot);
    }
    return slot;
  }
}
