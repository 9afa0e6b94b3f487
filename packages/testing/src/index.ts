export * from "./redis-fixture.js";
export * from "./fake-openai-server.js";
export * from "./jupyter-fixture.js";
export * from "./browser.js";
export * from "./seeded-random.js";
export * from "./docker-sandbox.js";
export * from "./ioc-fixture.js";
export * from "./redis-server-fixture.js";
