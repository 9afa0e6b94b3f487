import { createHash } from "node:crypto";

/** sha256 of the code as lowercase hex: the identity an approval is bound to. */
export function codeHash(code: string): string {
  return createHash("sha256").update(code, "utf8").digest("hex");
}
