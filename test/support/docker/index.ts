/**
 * Real parts for tests: a private Docker Engine, a local base image and a real OCI registry.
 * Each reuses an instance started by `.ci/run` when its GITOPS_TEST_* variables are set.
 */
export {
  DOCKER_CLI,
  DOCKER_HOST_ENV,
  DOCKERD,
  dockerAvailability,
  startDockerDaemon,
} from './daemon.js';
export type { DockerDaemon } from './daemon.js';
export { BASE_IMAGE, ensureBaseImage } from './base-image.js';
export {
  REGISTRY_ENV,
  REGISTRY_LOG_ENV,
  REGISTRY_PASSWORD_ENV,
  REGISTRY_USERNAME,
  registryAvailability,
  startRegistry,
} from './registry.js';
export type { RegistryRequest, TestRegistry } from './registry.js';
export {
  ALL_MANIFEST_TYPES,
  MEDIA_TYPES,
  RegistryApi,
  RegistryApiError,
  sha256Digest,
} from './registry-api.js';
export type {
  ManifestHead,
  RegistryCredentials,
  StoredManifest,
  SyntheticImageOptions,
} from './registry-api.js';
export {
  blobUploadData,
  DISTRIBUTION_DISK_FULL_BODY,
  dockerManifestPut,
  startFaultyProxy,
} from './faulty-proxy.js';
export type { FaultyProxy, FaultyProxyOptions, ProxyFault } from './faulty-proxy.js';
export { CommandError, run } from './process.js';
export type { Availability, RunOptions, RunResult } from './process.js';
export { describeWithDockerAndRegistry } from './real-parts.js';
