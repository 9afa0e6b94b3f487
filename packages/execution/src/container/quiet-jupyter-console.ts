/**
 * @jupyterlab/services (a browser library) announces every kernel websocket with
 * `console.debug("Starting WebSocket: ws://…")` and odd kernel states with `console.debug("Kernel: …")`.
 * In Node, console.debug writes to stdout, so these lines land inside CLI output, JSON and the demo.
 * The library has no logger option, so the only source-side fix is to drop exactly those messages.
 */
const LIBRARY_DEBUG = /^(Starting WebSocket: |Kernel: \S+ \()/;

let installed = false;

/**
 * Wraps `console.debug` once so the two @jupyterlab/services chatter lines above are dropped; every
 * other console.debug call passes through unchanged. Idempotent; called by {@link KernelPool}.
 */
export function quietJupyterConsole(): void {
  if (installed) return;
  installed = true;
  const debug = console.debug.bind(console);
  console.debug = (...args: unknown[]): void => {
    if (args.length === 1 && typeof args[0] === "string" && LIBRARY_DEBUG.test(args[0])) return;
    debug(...args);
  };
}
