export { computeVersion } from './compute-version.js';
export type {
  ComputeVersionRequest,
  ComputedVersion,
  Reservation,
  VersionSource,
} from './compute-version.js';
export { ecrVersionSource } from './ecr-source.js';
