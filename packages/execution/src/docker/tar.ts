/**
 * A minimal in-memory tar (ustar) writer: enough to hand a few small files to Docker's
 * `putArchive`, without a dependency. Regular files only; names up to 100 bytes.
 */

export interface TarEntry {
  /** Relative path inside the archive (no leading `/`, no `..`). */
  name: string;
  content: string | Uint8Array;
  /** Octal permission bits, e.g. 0o444. */
  mode?: number;
  uid?: number;
  gid?: number;
}

const BLOCK = 512;

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`);
  bytes.copy(buf, offset);
}

/** Octal number, zero-padded to `length - 1` digits and NUL-terminated (the classic format). */
function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, "0");
  if (text.length > length - 1) throw new Error(`tar header number too large: ${value}`);
  writeString(buf, offset, length, `${text}\0`);
}

function checkName(name: string): void {
  if (name === "" || name.startsWith("/") || name.split("/").some((p) => p === ".." || p === "")) {
    throw new Error(`unsafe tar entry name: ${JSON.stringify(name)}`);
  }
  if (Buffer.byteLength(name, "utf8") > 100) throw new Error(`tar entry name longer than 100 bytes: ${name}`);
}

function header(entry: TarEntry, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  writeString(h, 0, 100, entry.name);
  writeOctal(h, 100, 8, entry.mode ?? 0o644);
  writeOctal(h, 108, 8, entry.uid ?? 0);
  writeOctal(h, 116, 8, entry.gid ?? 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(h, 156, 1, "0");
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** Builds a tar archive of regular files, ending with the two zero blocks. */
export function buildTar(entries: TarEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    checkName(entry.name);
    const data = typeof entry.content === "string" ? Buffer.from(entry.content, "utf8") : Buffer.from(entry.content);
    parts.push(header(entry, data.length, mtime), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
