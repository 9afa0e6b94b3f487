/** Results as a readable tree: objects and arrays expand, scalars show their JSON value. */
export function ResultsTree({ value, name = "results" }: { value: unknown; name?: string }) {
  return (
    <ul class="tree" aria-label="Results">
      <Node name={name} value={value} depth={0} />
    </ul>
  );
}

function Node({ name, value, depth }: { name: string; value: unknown; depth: number }) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    const shown = entries.slice(0, 200);
    return (
      <li>
        <details open={depth < 2}>
          <summary>
            <span class="key">{name}</span> <span class="muted">{Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}</span>
          </summary>
          <ul>
            {shown.map(([k, v]) => (
              <Node key={k} name={k} value={v} depth={depth + 1} />
            ))}
            {entries.length > shown.length && <li class="muted">… {entries.length - shown.length} more</li>}
          </ul>
        </details>
      </li>
    );
  }
  return (
    <li>
      <span class="key">{name}</span>: <span class={`val val-${value === null ? "null" : typeof value}`}>{JSON.stringify(value)}</span>
    </li>
  );
}
