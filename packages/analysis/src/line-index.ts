/**
 * Rows and columns of offsets in a source: the start of every line, and the row of an offset
 * found by binary search only when it leaves the row of the previous lookup (tree copies ask in
 * document order, so almost every lookup is the same row or the next).
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  private last = 0;

  constructor(source: string) {
    for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /** 0-based row of `offset` (rows end at `\n`). */
  row(offset: number): number {
    const starts = this.starts;
    const row = this.last;
    if (offset >= starts[row]! && offset < (starts[row + 1] ?? Number.POSITIVE_INFINITY)) return row;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.last = lo;
    return lo;
  }

  /** Offset of the first character of `row`. */
  start(row: number): number {
    return this.starts[row] ?? 0;
  }
}
