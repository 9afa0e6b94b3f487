/**
 * A generated, realistic ~1,000-line Python module for the analysis bench: imports and aliases,
 * constants, helper functions, classes holding PV objects, numpy analysis, dict/queue traffic,
 * control-system reads and writes, and a results dict.
 */
export function sampleModule(targetLines = 1000): string {
  const head = [
    "import math",
    "import queue",
    "import numpy as np",
    "import epics",
    "from epics import PV, caget, caput as put_value",
    "from tango import DeviceProxy",
    "from p4p.client.thread import Context",
    "",
    'PREFIX = "SR:C01"',
    'CURRENT = "SR:DCCT:CURRENT"',
    "",
    "results = {}",
    "work = queue.Queue()",
    "cache = {}",
    "",
  ];
  const block = (i: number): string[] => [
    `class Corrector${i}:`,
    `    """Corrector ${i}: holds its PVs and a small model."""`,
    "    def __init__(self, name, gain=1.0):",
    "        self.sp = PV(name + ':SP')",
    "        self.rb = PV(name + ':RB')",
    "        self.gain = gain",
    "",
    "    def read(self):",
    "        return self.rb.get()",
    "",
    "    def apply(self, value):",
    "        if abs(value) > 10:",
    "            raise ValueError('too large')",
    "        self.sp.put(value * self.gain)",
    "",
    `def analyse_${i}(samples):`,
    "    data = np.asarray(samples, dtype=float)",
    "    mean = float(data.mean())",
    "    std = float(data.std())",
    "    peak = max(samples) if samples else 0.0",
    `    cache.get("k${i}", None)`,
    `    work.put(("block", ${i}))`,
    "    for j, x in enumerate(samples):",
    "        if x > mean + 3 * std:",
    `            cache["outlier_${i}_" + str(j)] = x`,
    "    return {'mean': mean, 'std': std, 'peak': peak}",
    "",
    `def measure_${i}(n=10):`,
    `    values = [caget(PREFIX + ":BPM${i}:X") for _ in range(n)]`,
    `    stats = analyse_${i}(values)`,
    `    results["bpm${i}"] = stats`,
    "    return stats",
    "",
    `c${i} = Corrector${i}(PREFIX + ":HCM${i}")`,
    `s${i} = measure_${i}()`,
    `if s${i}["std"] < 0.5:`,
    `    c${i}.apply(-s${i}["mean"] * 0.1)`,
    `    put_value(PREFIX + ":HCM${i}:ENABLE", 1)`,
    `dev${i} = DeviceProxy("sr/ps/hcm${i}")`,
    `state${i} = dev${i}.read_attribute("State")`,
    `angle${i} = math.atan2(s${i}["mean"], 1.0)`,
    "",
  ];
  const lines = [...head];
  for (let i = 0; lines.length < targetLines - 3; i++) lines.push(...block(i));
  lines.length = Math.min(lines.length, targetLines - 3);
  lines.push("ctx = Context('pva')", 'results["current"] = epics.caget(CURRENT)', "print(results)");
  return `${lines.join("\n")}\n`;
}
