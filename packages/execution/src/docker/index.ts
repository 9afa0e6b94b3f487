export { BUILD_IMAGE_COMMAND, type DockerEndpoint, dockerClient, START_ENGINE_COMMAND } from "./client.js";
export { DockerExecutor, type DockerExecutorOptions } from "./docker-executor.js";
