import { buffer } from "node:stream/consumers";
import { pack } from "tar-stream";

/** One regular file for Docker's `putArchive`. */
export interface TarEntry {
  /** Relative path inside the archive (no leading `/`, no `..`). */
  name: string;
  content: string | Uint8Array;
  /** Octal permission bits, e.g. 0o444. */
  mode?: number;
  uid?: number;
  gid?: number;
}

function checkName(name: string): void {
  if (name === "" || name.startsWith("/") || name.split("/").some((p) => p === ".." || p === "")) {
    throw new Error(`unsafe tar entry name: ${JSON.stringify(name)}`);
  }
}

/**
 * A tar archive of regular files (written by `tar-stream`), for `putArchive`. Names are checked
 * first: an archive the engine unpacks must not reach outside its target folder.
 * @throws Error for a name that is absolute, empty or contains `..` or an empty segment.
 */
export async function buildTar(entries: TarEntry[], mtime = new Date()): Promise<Buffer> {
  for (const entry of entries) checkName(entry.name);
  const archive = pack();
  const done = buffer(archive);
  for (const entry of entries) {
    const data = typeof entry.content === "string" ? Buffer.from(entry.content, "utf8") : Buffer.from(entry.content);
    archive.entry({ name: entry.name, mode: entry.mode ?? 0o644, uid: entry.uid ?? 0, gid: entry.gid ?? 0, mtime, size: data.length, type: "file" }, data);
  }
  archive.finalize();
  return done;
}
