/**
 * Whether a JSON value nests deeper than `limit` (a scalar has depth 0, `{}` and `[]` depth 1,
 * `{"a": [1]}` depth 2). Walks with an explicit stack, never recursion, so a hostile value
 * thousands of levels deep cannot overflow the call stack; stops at the first branch past `limit`.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, depth } = top;
    if (typeof node !== "object" || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}
