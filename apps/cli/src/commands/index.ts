import type { Command } from "../command.js";

/**
 * Every subcommand, loaded lazily so `pyfleet --help` stays fast.
 * Add one line per command module (each module default-exports a Command).
 */
export const COMMANDS: Array<{ name: string[]; load: () => Promise<{ default: Command }> }> = [];
