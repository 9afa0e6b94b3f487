#!/usr/bin/env node
// Entry point of `pyfleet-console`: registers tsx so the TypeScript sources run directly.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exit(await main(process.argv.slice(2)));
