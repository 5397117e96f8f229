/**
 * The docker CLI over an exec port (login via stdin into a private DOCKER_CONFIG, build, push with
 * retries), and the ECR release of an image built with it or promoted in place.
 */
export { processExec } from './exec.js';
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
  chooseRegistryHost,
  configDigestOf,
  IF_TAG_EXISTS,
  imageSizeOf,
  publishImage,
  PublishError,
} from './publish.js';
export type {
  IfTagExists,
  ImageBuild,
  PublishOutcome,
  PublishPorts,
  PublishRequest,
  PublishResult,
  SourceInfo,
} from './publish.js';
