export { computeVersion } from './version.js';
export type {
  ComputeVersionRequest,
  ComputedVersion,
  Reservation,
  VersionSource,
} from './version.js';
export { ecrVersionSource } from './ecr-source.js';
export {
  checkReleaseRequest,
  environmentFiles,
  environmentsOutput,
  normalizeManifestsPath,
  RELEASE_MODES,
} from './preflight.js';
export type { EnvironmentPlan, ReleaseMode, ReleasePlan, ReleaseRequest } from './preflight.js';
export {
  imageText,
  pullRequestBody,
  readReleaseNotes,
  readReleaseSource,
  releaseBody,
} from './facts.js';
export type { Deployment, PullRequestText, ReleaseFacts, ReleaseImageFacts } from './facts.js';
export { imageCreatedTime, publishReleaseImage, removeRegistryCredentials } from './image.js';
export type {
  CheckedPromotion,
  ImageStepPorts,
  ImageStepRequest,
  RegistryCredentials,
} from './image.js';
export {
  manifestImageName,
  planManifests,
  readManifestsAtBase,
  selectManifestFiles,
} from './manifests.js';
export type { ManifestPlan, ManifestsAtBase, SelectedManifest } from './manifests.js';
export { changeManifests } from './change.js';
export type { ChangedFile, ChangeRequest, ChangeResult } from './change.js';
export { markReleased } from './mark-released.js';
export type { PublishedRelease } from './mark-released.js';
export { RELEASE_STEPS } from './release-config.js';
export type {
  ManifestCommit,
  OpenedPullRequest,
  PullRequestPlan,
  ReleaseBuild,
  ReleaseConfig,
  ReleaseImage,
  ReleaseImageTarget,
  ReleaseManifests,
  ReleasePorts,
  ReleaseResult,
  ReleaseStatus,
  ReleaseStepName,
} from './release-config.js';
export { runRelease } from './run-release.js';
export {
  checksReason,
  DEFAULT_LOOK_BACK,
  findNewestGreenCommit,
  MAX_LOOK_BACK,
} from './green-commit.js';
export type { GreenCommitSearch, PassedOverCommit } from './green-commit.js';
