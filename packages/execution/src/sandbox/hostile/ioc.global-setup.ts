import { IocFixture } from "@pyfleet/testing";
import type { TestProject } from "vitest/node";
import { hostilePrerequisites } from "./hostile-prerequisites.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The simulated IOC every hostile file shares: its CA port and its put log (written by the IOC). */
    hostileIoc: { port: number; putLogPath: string } | null;
    /** Why the hostile suite cannot run here (printed by every file), or null. */
    hostileMissing: string | null;
  }
}

/**
 * One simulated IOC (IocFixture, sim/) for every hostile file: the backends' files run in
 * parallel against it, and each asserts after every snippet that its put log is still empty.
 * Write runs (which do put) use an IOC of their own, so they never disturb that assertion.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const missing = hostilePrerequisites();
  project.provide("hostileMissing", missing);
  if (missing) {
    project.provide("hostileIoc", null);
    return async () => undefined;
  }
  const ioc = await IocFixture.start();
  project.provide("hostileIoc", { port: ioc.port, putLogPath: ioc.putLogPath });
  return () => ioc.close();
}
