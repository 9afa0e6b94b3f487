/**
 * The original system's analysis, re-created for comparison (original-system.md §3): substring
 * security scan plus regex search of the write / read patterns over the raw source text.
 */
const SECURITY = ["exec(", "eval(", "__import__", "os.system", "open(", "subprocess"];
const WRITE = [
  /write_channel\(/,
  /write_channels\(/,
  /caput\(/,
  /epics\.caput\(/,
  /\.put\(/,
  /\.set_value\(/,
  /PV\([^)]*\)\.put/,
  /epics\.PV\([^)]*\)\.put/,
  /DeviceProxy\([^)]*\)\.write_attribute\(/,
  /\.write_attribute\(/,
  /\.write_attribute_asynch\(/,
  /tango\.DeviceProxy\([^)]*\)\.write/,
  /labview\.set_control\(/,
  /\.SetControlValue\(/,
  /connector\.write_channel\(/,
];
const READ = [
  /read_channel\(/,
  /caget\(/,
  /epics\.caget\(/,
  /\.get\(/,
  /\.get_value\(/,
  /PV\([^)]*\)\.get/,
  /\.read_attribute\(/,
  /\.read_attribute_asynch\(/,
  /labview\.get_control\(/,
  /\.GetControlValue\(/,
  /connector\.read_channel\(/,
];

export interface RegexVerdict {
  security: string[];
  writes: number;
  reads: number;
}

export function regexScan(code: string): RegexVerdict {
  const security = SECURITY.filter((s) => code.includes(s));
  const count = (patterns: RegExp[]) => patterns.reduce((n, p) => n + (code.match(new RegExp(p.source, "g"))?.length ?? 0), 0);
  return { security, writes: count(WRITE), reads: count(READ) };
}
