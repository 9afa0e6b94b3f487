export * from "./redis-fixture.js";
export * from "./fake-openai-server.js";
