#!/usr/bin/env node
// Entry point of the approver process: registers tsx so the TypeScript sources run directly.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
