/** Key under which the artifact store keeps the effective-config snapshot inside context.json. */
export const CONFIG_SNAPSHOT_KEY = "_execution_config";

/**
 * Python source that loads context.json into `context` as the harness exposes it. On pyfleet's
 * kernels the harness is loaded, so its own `Context` (attribute access, `[]`, `get`,
 * `to_dict`, read-only) and channel helpers are used; elsewhere a copy of the same behaviour.
 * The config snapshot stored beside the data is not part of `context`.
 * @param contextPath path of context.json relative to the notebook's folder
 */
export function contextLoaderSource(contextPath: string): string {
  return [
    "# Load the run's context as pyfleet's harness exposes it: context.<type>.<key>.<field>",
    "import json",
    "from pathlib import Path",
    "",
    "try:",
    "    from pyfleet_harness import Context, read_channel, write_channel, write_channels",
    "except ImportError:  # not on a pyfleet kernel: same attribute access, no channel helpers",
    "",
    "    class Context:",
    '        __slots__ = ("_data",)',
    "",
    "        def __init__(self, data):",
    '            object.__setattr__(self, "_data", data if isinstance(data, dict) else {})',
    "",
    "        @staticmethod",
    "        def _wrap(value):",
    "            if isinstance(value, dict):",
    "                return Context(value)",
    "            if isinstance(value, list):",
    "                return [Context._wrap(v) for v in value]",
    "            return value",
    "",
    "        def __getattr__(self, name):",
    "            if name in self._data:",
    "                return Context._wrap(self._data[name])",
    '            raise AttributeError(f"context has no key {name!r}; available: {sorted(self._data)}")',
    "",
    "        def __getitem__(self, key):",
    "            return Context._wrap(self._data[key])",
    "",
    "        def __contains__(self, key):",
    "            return key in self._data",
    "",
    "        def __setattr__(self, name, value):",
    '            raise AttributeError("context is read-only")',
    "",
    "        def get(self, key, default=None):",
    "            return Context._wrap(self._data.get(key, default))",
    "",
    "        def to_dict(self):",
    "            return self._data",
    "",
    "",
    `_context_path = Path(${JSON.stringify(contextPath)})`,
    "_context_data = json.loads(_context_path.read_text(encoding='utf-8')) if _context_path.exists() else {}",
    `_context_data.pop(${JSON.stringify(CONFIG_SNAPSHOT_KEY)}, None)`,
    "context = Context(_context_data)",
  ].join("\n");
}
