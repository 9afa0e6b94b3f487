import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
/** V8's gc(), exposed at run time (the test runner does not start Node with --expose-gc). */
const gc = runInNewContext("gc") as () => void;

const retained = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * Peak growth of this process's retained memory (JS heap plus external, i.e. Buffers, after a
 * full gc) while `run` is in flight, sampled every 25 ms and once more after it resolves while
 * its value is still referenced. Pipe chunks that are dropped as they arrive are garbage and do
 * not count; output that is buffered (whole or until the end) does.
 */
export async function peakRetainedGrowth<T>(run: () => Promise<T>): Promise<{ value: T; growthBytes: number }> {
  const baseline = retained();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, retained());
  }, 25);
  try {
    const value = await run();
    peak = Math.max(peak, retained());
    return { value, growthBytes: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Python prelude for user code: `rss()` is the process's current resident set in bytes (from
 * /proc, so unlike ru_maxrss it is not hidden by an earlier peak) and `rss0` its value at the start.
 */
export const RSS_PROBE_PY =
  "import sys, resource\ndef rss():\n    return int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize()\nrss0 = rss()";
