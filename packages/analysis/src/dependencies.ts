import type { ValueSet } from "./values.js";

/** The slots one binding node read while it was evaluated, each with the clock of the read. */
export interface Reads {
  slots: ValueSet[];
  times: number[];
}

/** A memoised evaluation: its values and where its reads are in the log of the node that made it. */
interface MemoEntry {
  values: ValueSet;
  reads: Reads | null;
  from: number;
  to: number;
}

/**
 * What lets the resolver's fixpoint re-evaluate only what can change. Every slot a binding node
 * reads (a variable, an attribute slot, a function's returns, a collection's items, or a flag
 * such as "the module star-imports something") is logged with the clock of the read; every
 * slot that grows is stamped with the clock of the growth. A node is stale when a slot it read
 * grew at or after the read: only stale nodes are evaluated again, and the fixpoint ends when
 * none is. Memoised evaluations carry their reads along, so a node that reuses another node's
 * result depends on what that result was computed from (with the original read clocks, so a
 * result that went out of date in between makes the reuser stale too).
 */
export class DependencyLog {
  private clock = 0;
  private current: Reads | null = null;
  private readonly grewAt = new Map<ValueSet, number>();
  private readonly memo = new Map<number, MemoEntry>();

  /** Starts logging the reads of one binding node (one clock tick per node). */
  begin(): Reads {
    this.clock++;
    this.current = { slots: [], times: [] };
    return this.current;
  }

  /** Stops logging (evaluation outside the fixpoint is not tracked). */
  end(): void {
    this.current = null;
  }

  /** Logs a read of `slot` and returns it. */
  read(slot: ValueSet): ValueSet {
    const c = this.current;
    if (c) {
      c.slots.push(slot);
      c.times.push(this.clock);
    }
    return slot;
  }

  /** Stamps a slot that just grew. */
  grew(slot: ValueSet): void {
    this.grewAt.set(slot, this.clock);
  }

  /** True when a slot read in `reads` grew at or after it was read. */
  stale(reads: Reads): boolean {
    const { slots, times } = reads;
    for (let i = 0; i < slots.length; i++) {
      const at = this.grewAt.get(slots[i]!);
      if (at !== undefined && at >= times[i]!) return true;
    }
    return false;
  }

  /** A memoised result of a node (its reads are logged again for the current node), or undefined. */
  recall(id: number): ValueSet | undefined {
    const hit = this.memo.get(id);
    if (!hit) return undefined;
    const c = this.current;
    const from = hit.reads;
    if (c && from)
      for (let i = hit.from; i < hit.to; i++) {
        c.slots.push(from.slots[i]!);
        c.times.push(from.times[i]!);
      }
    return hit.values;
  }

  /** Where the next read will be logged (for {@link remember}). */
  mark(): number {
    return this.current ? this.current.slots.length : 0;
  }

  /** Memoises the result of a node whose reads were logged from `from` on. */
  remember(id: number, values: ValueSet, from: number): void {
    this.memo.set(id, { values, reads: this.current, from, to: this.mark() });
  }

  /** Forgets memoised results (each fixpoint round starts afresh; afterwards results are exact). */
  forget(): void {
    this.memo.clear();
  }
}
