export { checkProducerAuth, main, type RunningProducer, type StartProducerOptions, startProducer } from "./main.js";
export { createProducerServer, type ProducerDeps } from "./server.js";
