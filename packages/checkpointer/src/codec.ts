/**
 * Binary framing of stored values: a list of byte strings, each preceded by its length as a
 * 32-bit big-endian integer. Serialized checkpoints are bytes of any content, so a delimiter
 * cannot be used; JSON with base64 would cost a third more space and time.
 */

/** Frames `parts` into one Buffer (strings are UTF-8 encoded). */
export function pack(parts: ReadonlyArray<string | Uint8Array>): Buffer {
  const buffers = parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p)));
  const total = buffers.reduce((n, b) => n + 4 + b.length, 0);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const b of buffers) {
    out.writeUInt32BE(b.length, offset);
    offset += 4;
    b.copy(out, offset);
    offset += b.length;
  }
  return out;
}

/**
 * Splits a Buffer made by {@link pack} back into its parts.
 * @throws Error when the framing is corrupt (truncated or trailing bytes).
 */
export function unpack(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) throw new Error("corrupt checkpoint record: truncated length");
    const len = buf.readUInt32BE(offset);
    offset += 4;
    if (offset + len > buf.length) throw new Error("corrupt checkpoint record: truncated part");
    parts.push(buf.subarray(offset, offset + len));
    offset += len;
  }
  return parts;
}

/** Unpacks and checks the number of parts, naming the record kind in the error. */
export function unpackExactly(buf: Buffer, count: number, kind: string): Buffer[] {
  const parts = unpack(buf);
  if (parts.length !== count) {
    throw new Error(`corrupt ${kind} record: expected ${count} parts, found ${parts.length}`);
  }
  return parts;
}
