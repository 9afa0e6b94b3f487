export { FileArtifactStore, type FileArtifactStoreOptions } from "./file-artifact-store.js";
export { attemptFolderName, checkFolderName, checkRunId, findRunFolder, METADATA_FILE, resolveArtifact } from "./paths.js";
export { RunFolderWriter } from "./safe-write.js";
export { isSecretKey, scrubSecrets } from "./secrets.js";
export { type PruneResult, pruneRunFolders } from "./prune.js";
