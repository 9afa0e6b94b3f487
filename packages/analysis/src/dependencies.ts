import type { ValueSet } from "./values.js";

/**
 * One binding node's reads: a handle to the range of the log that {@link DependencyLog.begin}
 * opened for it (the slots it read while it was evaluated, each with the clock of the read).
 */
export type Reads = number;

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
  /** Clock of the latest growth of any slot (0: none yet). */
  private lastGrowth = 0;
  /**
   * Every logged read of the analysis, in order: the slot and the clock of the read, in two
   * parallel arrays that only grow (one per analysis instead of two arrays per binding node and
   * round). A binding node's reads are a range of them, and so are a memoised result's.
   */
  private readonly slots: ValueSet[] = [];
  private readonly times: number[] = [];
  /** Where each binding node's range starts and ends, by {@link Reads} handle. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** True between {@link begin} and {@link end}: reads are logged. */
  private logging = false;
  /**
   * Memoised evaluations by node id, as parallel arrays rather than an entry object per
   * evaluation (thousands per analysis): the values, the range of the log holding their reads
   * (empty when computed while nothing was logged), and the round that made the entry
   * ({@link forget} starts a new round).
   */
  private readonly memoValues: Array<ValueSet | undefined>;
  private memoFrom: Int32Array;
  private memoTo: Int32Array;
  private memoRound: Int32Array;
  private round = 1;
  /** After {@link settle}: results of earlier rounds are reused while nothing they read has grown. */
  private settled = false;
  /** Cleared by the first growth after {@link settle}: from then on only results computed after it are reused. */
  private reusable = false;

  /** `nodes`: how many node ids to make room for (the arrays grow for larger ids). */
  constructor(nodes = 0) {
    this.memoValues = new Array<ValueSet | undefined>(nodes);
    this.memoFrom = new Int32Array(nodes);
    this.memoTo = new Int32Array(nodes);
    this.memoRound = new Int32Array(nodes);
  }

  /** Starts logging the reads of one binding node (one clock tick per node). */
  begin(): Reads {
    this.end();
    this.clock++;
    this.logging = true;
    this.starts.push(this.slots.length);
    this.ends.push(this.slots.length);
    return this.starts.length - 1;
  }

  /** Stops logging (evaluation outside the fixpoint is not tracked). */
  end(): void {
    if (this.logging) this.ends[this.ends.length - 1] = this.slots.length;
    this.logging = false;
  }

  /** Logs a read of `slot` and returns it. */
  read(slot: ValueSet): ValueSet {
    if (this.logging) {
      this.slots.push(slot);
      this.times.push(this.clock);
    }
    return slot;
  }

  /** Stamps a slot that just grew (on the slot itself: the staleness checks look it up for every read). */
  grew(slot: ValueSet): void {
    slot.grewAt = this.clock;
    this.lastGrowth = this.clock;
    this.reusable = false;
  }

  /** The clock: reads and growths from now on are stamped later than it. */
  now(): number {
    return this.clock;
  }

  /** True when some slot grew after the clock was `clock` (see {@link now}). */
  grewAfter(clock: number): boolean {
    return this.lastGrowth > clock;
  }

  /** True when a slot read in `reads` grew at or after it was read. */
  stale(reads: Reads): boolean {
    const to = this.logging && reads === this.starts.length - 1 ? this.slots.length : this.ends[reads]!;
    return this.grewSince(this.starts[reads]!, to);
  }

  /** True when a slot read in the log's range [from, to) grew at or after it was read. */
  private grewSince(from: number, to: number): boolean {
    const { slots, times } = this;
    // A slot that never grew has grewAt -1, below every read's clock (>= 1).
    for (let i = from; i < to; i++) if (slots[i]!.grewAt >= times[i]!) return true;
    return false;
  }

  /** A memoised result of a node (its reads are logged again for the current node), or undefined. */
  recall(id: number): ValueSet | undefined {
    if (this.memoRound[id] !== this.round) return this.settled ? this.reuse(id) : undefined;
    if (this.logging) {
      const { slots, times } = this;
      for (let i = this.memoFrom[id]!, to = this.memoTo[id]!; i < to; i++) {
        slots.push(slots[i]!);
        times.push(times[i]!);
      }
    }
    return this.memoValues[id];
  }

  /** Where the next read will be logged (for {@link remember}). */
  mark(): number {
    return this.slots.length;
  }

  /** Memoises the result of a node whose reads were logged from `from` on. */
  remember(id: number, values: ValueSet, from: number): void {
    if (id >= this.memoRound.length) this.grow(id);
    this.memoValues[id] = values;
    this.memoFrom[id] = from;
    this.memoTo[id] = this.mark();
    this.memoRound[id] = this.round;
  }

  private grow(id: number): void {
    const size = Math.max(id + 1, this.memoRound.length * 2);
    const copy = (from: Int32Array) => {
      const to = new Int32Array(size);
      to.set(from);
      return to;
    };
    this.memoFrom = copy(this.memoFrom);
    this.memoTo = copy(this.memoTo);
    this.memoRound = copy(this.memoRound);
  }

  /** Forgets memoised results (each fixpoint round starts afresh; afterwards results are exact). */
  forget(): void {
    this.round++;
    this.settled = false;
  }

  /**
   * Ends a fixpoint that converged. What any round evaluated stays usable afterwards as long as no
   * slot it read has grown since: evaluating it again would give the same values (the result of a
   * node that was not stale). So detection, which asks for the values of the same expressions
   * again, gets them without evaluating them again. Results are then kept like results computed
   * after the fixpoint (reused as they are for the rest of the analysis), and reuse stops at the
   * first growth after the fixpoint, which {@link forget} would not have seen either.
   */
  settle(): void {
    this.round++;
    this.settled = true;
    this.reusable = true;
  }

  /** A result of an earlier round when it is still exact (see {@link settle}), taken over as a result of this one. */
  private reuse(id: number): ValueSet | undefined {
    if (!this.reusable || !(this.memoRound[id]! > 0)) return undefined;
    if (this.grewSince(this.memoFrom[id]!, this.memoTo[id]!)) return undefined;
    this.memoRound[id] = this.round;
    // Taken over as a result computed now: nothing to log for its readers, like a result computed outside the fixpoint.
    this.memoFrom[id] = 0;
    this.memoTo[id] = 0;
    return this.memoValues[id];
  }
}
