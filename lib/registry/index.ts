/** The model registry: versioned, checksummed models with promote / rollback (README "Serving: registry and Predictor"). */
export { Registry } from './registry';
export type { LoadedVersion, RegisterOptions, RegistryOptions } from './registry';
export type { FileDigest, VersionInfo } from './manifest';
export type { HistoryEntry } from './state';
