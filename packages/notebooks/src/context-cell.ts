/** Key under which the artifact store keeps the effective-config snapshot inside context.json. */
export const CONFIG_SNAPSHOT_KEY = "_execution_config";

/**
 * Python source that loads context.json into `context` as the harness exposes it: nested
 * dictionaries with attribute access (`context.<type>.<key>.<field>`) that are still dicts
 * (`context["type"]`). The config snapshot stored beside the data is not part of `context`.
 * @param contextPath path of context.json relative to the notebook's folder
 */
export function contextLoaderSource(contextPath: string): string {
  return [
    "# Load the run's context as pyfleet's harness exposes it: context.<type>.<key>.<field>",
    "import json",
    "from pathlib import Path",
    "",
    "",
    "class _Context(dict):",
    "    def __getattr__(self, name):",
    "        try:",
    "            return self[name]",
    "        except KeyError:",
    "            raise AttributeError(name) from None",
    "",
    "",
    "def _wrap(value):",
    "    if isinstance(value, dict):",
    "        return _Context({k: _wrap(v) for k, v in value.items()})",
    "    if isinstance(value, list):",
    "        return [_wrap(v) for v in value]",
    "    return value",
    "",
    "",
    `_context_path = Path(${JSON.stringify(contextPath)})`,
    "_context_data = json.loads(_context_path.read_text(encoding='utf-8')) if _context_path.exists() else {}",
    `_context_data.pop(${JSON.stringify(CONFIG_SNAPSHOT_KEY)}, None)`,
    "context = _wrap(_context_data)",
    "results = {}",
  ].join("\n");
}
