// Preloaded into the resources bench's workers with `NODE_OPTIONS=--import <this file>`: on
// SIGUSR2 it runs a full garbage collection and writes the process's memory right after it to
// $PYFLEET_HEAP_PROBE_DIR/<pid>.json. RSS sampled at a random moment counts garbage V8 has not
// collected yet, and how much V8 lets pile up depends on the allocation rate (its heap grows with
// the run rate, then stops); RSS and live heap after a full collection are what a leak would grow.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";

const dir = process.env.PYFLEET_HEAP_PROBE_DIR;
if (dir) {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  let seq = 0;
  process.on("SIGUSR2", () => {
    gc();
    const m = process.memoryUsage();
    const file = join(dir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ seq: ++seq, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }));
    renameSync(`${file}.tmp`, file);
  });
}
