import { type Logger, type LoggerOptions, pino } from "pino";

export type { Logger } from "pino";

export interface LoggerFactoryOptions {
  /** Service name, e.g. `worker`, `producer`. */
  service: string;
  /** pino level; defaults to `PYFLEET_LOG_LEVEL` or `info`. */
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read lines back. */
  destination?: NodeJS.WritableStream;
}

/** Creates the root pino JSON logger of a process. */
export function createLogger(opts: LoggerFactoryOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.PYFLEET_LOG_LEVEL ?? "info",
    base: { service: opts.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["*.apiKey", "*.token", "*.authorization", "*.secret"], censor: "[redacted]" },
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** Binds run id, stage and attempt to every line a piece of work logs. */
export function runLogger(
  parent: Logger,
  ctx: { runId: string; stage?: string; attempt?: number; [k: string]: unknown },
): Logger {
  return parent.child({ stage: null, attempt: null, ...ctx });
}

/** A logger that drops everything (for library callers that pass none). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
