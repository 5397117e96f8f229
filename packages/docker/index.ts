/**
 * The docker CLI over an exec port (login via stdin into a private DOCKER_CONFIG, build, push with
 * retries), and the ECR release of an image built with it or promoted in place.
 */
export { processExec, trackingProcessExec } from './exec.js';
export type { Exec, ExecOptions, ExecResult } from './exec.js';
export { buildCommand, defaultCache, ociLabels, registryCacheRef } from './build-args.js';
export type {
  BuildCommand,
  Builder,
  BuilderKind,
  BuildSpec,
  OciLabelSource,
  SecretEnv,
} from './build-args.js';
export { buildContextInside, dockerfileInside, pathInside } from './build-paths.js';
export type { BuildPathBase } from './build-paths.js';
export { DockerCli, parsePushDigest } from './cli.js';
export type { BuildResult, DockerCliOptions, PushResult, RegistryCredentials } from './cli.js';
export { createDockerConfigDir, removeDockerConfigDir } from './config-dir.js';
export {
  DockerError,
  engineRetried,
  failureReason,
  isCredentialsRejected,
  isRegistryFull,
  isTransientFailure,
} from './errors.js';
export type { DockerFailureKind } from './errors.js';
export {
  checkPromotedSource,
  chooseRegistryHost,
  configDigestOf,
  IF_TAG_EXISTS,
  imageSizeOf,
  inspectPromotion,
  publishImage,
  PublishError,
} from './publish.js';
export type {
  IfTagExists,
  ImageBuild,
  ImageRecord,
  ImageRecordStore,
  PromotedSource,
  PromotionRule,
  PublishOutcome,
  PublishPorts,
  PublishRequest,
  PublishResult,
  SourceInfo,
} from './publish.js';
