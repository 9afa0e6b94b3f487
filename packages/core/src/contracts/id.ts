/**
 * Run and thread ids: a letter or digit, then up to 127 of letters, digits, `_ . : -`. Safe as
 * one path segment, inside a Redis key and as a LangGraph thread id (no "/", which would alias
 * a checkpoint namespace). One definition for every place that checks an id.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** {@link ID_PATTERN} as written in messages. */
export const ID_PATTERN_TEXT = ID_PATTERN.source.slice(1, -1);

/** True when `id` is a valid run or thread id. */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}
