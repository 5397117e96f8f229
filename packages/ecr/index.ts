export {
  createEcrClient,
  EcrClient,
  DEFAULT_MAX_ATTEMPTS,
  MANIFEST_MEDIA_TYPES,
} from './client.js';
export type {
  EcrAuthorization,
  EcrClientOptions,
  EcrImageDetails,
  EcrImageManifest,
  ImageSelector,
  PromoteRequest,
  PromoteResult,
} from './client.js';
export { EcrError, sanitizeAwsMessage } from './errors.js';
export type { EcrErrorKind } from './errors.js';
export { toEcrError } from './aws-errors.js';
export type { EcrCallContext } from './aws-errors.js';
export {
  accountIdProblem,
  assertValid,
  formatImageUri,
  imageDigestProblem,
  imageTagProblem,
  knownRegions,
  parseEcrImageUri,
  parseEcrRegistryHost,
  parseImageReference,
  regionInfo,
  regionProblem,
  registryHost,
  repositoryNameProblem,
} from './registry.js';
export type {
  EcrImageUri,
  EcrRegistryHost,
  ImageReference,
  Partition,
  RegionInfo,
  RegistryAddress,
} from './registry.js';
export { resolveEcrRegistry } from './target.js';
export type { EcrRegistryInputs, EcrRegistryTarget } from './target.js';
