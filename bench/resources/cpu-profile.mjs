// Preloaded with `NODE_OPTIONS=--import <this file>` (Node refuses `--cpu-prof` there): records a
// V8 CPU profile of the whole process and writes it to $PYFLEET_CPU_PROF_DIR/<pid>.cpuprofile when
// the process exits normally (SIGTERM through the worker's own shutdown, not SIGKILL).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.PYFLEET_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.enable");
  session.post("Profiler.start");
  process.once("exit", () => {
    // an in-thread inspector session answers synchronously, so this finishes inside the exit handler
    session.post("Profiler.stop", (err, res) => {
      if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
