export { computeVersion } from './compute-version.js';
export type {
  ComputeVersionRequest,
  ComputedVersion,
  Reservation,
  VersionSource,
} from './compute-version.js';
export { ecrVersionSource } from './ecr-source.js';
export { normalizeManifestsPath, RELEASE_STEPS, runRelease, selectManifestFiles } from './chain.js';
export type {
  ManifestChange,
  ManifestCommit,
  ManifestPlan,
  OpenedPullRequest,
  PullRequestPlan,
  ReleaseBuild,
  ReleaseConfig,
  ReleaseImage,
  ReleaseImageTarget,
  ReleaseLogger,
  ReleaseManifests,
  ReleaseMode,
  ReleasePorts,
  ReleaseResult,
  ReleaseStatus,
  ReleaseStepEvent,
  ReleaseStepName,
  SelectedManifest,
} from './chain.js';
