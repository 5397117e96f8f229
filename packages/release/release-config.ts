/** What runRelease takes and gives: the whole chain as one request, for the CLI and the sandbox. */
import type { Exec, PromotedSource, PublishOutcome, PublishResult } from '../docker/index.js';
import type { EcrClient } from '../ecr/index.js';
import type { ParameterCheckMode, ParameterLookup } from '../external-secrets/index.js';
import type { GitHubClient, GitTagSource } from '../github/index.js';
import type { Logger, RepositoryRef } from '../kit/index.js';
import type { VersionFormat } from '../version/index.js';
import type { ChangeResult } from './change.js';
import type { RegistryCredentials } from './credentials.js';
import type { ReleaseFacts } from './facts.js';
import type { ManifestPlan } from './manifests.js';
import type { ReleaseMode } from './preflight.js';
import type { ComputedVersion } from './version.js';

export interface ReleaseImageTarget {
  /** The ECR repository, e.g. `dsva/cms-drupal`. */
  readonly repository: string;
  readonly region: string;
  /** The registry's account id; undefined means the credentials' own registry. */
  readonly registryId?: string | undefined;
  readonly fips?: boolean | undefined;
}

export interface ReleaseBuild {
  /** The build context directory (a checkout of the app repository at `sha`). */
  readonly context: string;
  /** The Dockerfile, relative to the working directory as docker takes it. */
  readonly file?: string | undefined;
  readonly buildArgs?: readonly string[] | undefined;
  readonly target?: string | undefined;
  readonly platform?: string | undefined;
  /** `none` for a daemon without a bridge network. */
  readonly network?: string | undefined;
}

export interface ReleaseManifests {
  readonly repository: RepositoryRef;
  /** The directory of this app's manifests in that repository, e.g. `apps/vsp-cms`; '' for the root. */
  readonly path: string;
  /** Paths and globs relative to `path`; default every `*.yaml` and `*.yml` below it. */
  readonly files?: readonly string[] | undefined;
  /** Explicit `path=value` entries, e.g. `web.envSecrets[name=DD_VERSION].value={version}`. */
  readonly set?: readonly string[] | undefined;
  /** The branch the manifests are deployed from; default the repository's default branch. */
  readonly base?: string | undefined;
}

export interface ReleaseConfig {
  /** Short name of the app (`cms`): branch names `release/<app>/<version>`, label `release:<app>`. */
  readonly app: string;
  /** The application's repository, where version tags and releases live. */
  readonly appRepository: RepositoryRef;
  /** The commit to release (full or short SHA). */
  readonly sha: string;
  /** The branch the commit was taken from, named in the pull request. */
  readonly sourceRef?: string | undefined;
  readonly format?: VersionFormat | undefined;
  /** First N when no version exists anywhere. Default 1. */
  readonly startAt?: number | undefined;
  /** A release to hotfix (`v0.0.417`); the commit must carry the fix on top of it. */
  readonly hotfixOf?: string | undefined;
  /** Checks that must have succeeded on `sha` (compute-version's require-checks); default none. */
  readonly requireChecks?: readonly string[] | undefined;
  /** Count ECR's image tags as release numbers too, so a number ECR holds is never reused. Default true. */
  readonly ecrVersions?: boolean | undefined;
  readonly image: ReleaseImageTarget;
  /** Exactly one of build and promoteFrom. */
  readonly build?: ReleaseBuild | undefined;
  /** An image tag already in the ECR repository to release without a build. */
  readonly promoteFrom?: string | undefined;
  readonly manifests: ReleaseManifests;
  readonly mode: ReleaseMode;
  readonly reviewers?: readonly string[] | undefined;
  readonly teamReviewers?: readonly string[] | undefined;
  /** Labels besides `release:<app>`. */
  readonly labels?: readonly string[] | undefined;
  /** The pull request's own text, above the release table. */
  readonly body?: string | undefined;
  readonly allowDowngrade?: boolean | undefined;
  readonly downgradeReason?: string | undefined;
  /**
   * Write the pushed digest into the manifests too (`tag@digest`, and `digest:` fields). Default
   * false: references keep their shape, and any old digest is dropped so it cannot pin the old image.
   */
  readonly pinDigest?: boolean | undefined;
  /** Compute without reserving, build without pushing, edit without committing. */
  readonly dryRun: boolean;
  /**
   * The SSM parameters the manifests' ExternalSecrets name, looked up (in `image.region` unless a
   * store names its own) before anything is reserved: `error` (default) stops, `warn` warns, `off`.
   */
  readonly checkParameters?: ParameterCheckMode | undefined;
  /** For the image's OCI source label; default https://github.com. */
  readonly serverUrl?: string | undefined;
}

export const RELEASE_STEPS = ['version', 'manifests', 'image', 'change', 'release'] as const;
export type ReleaseStepName = (typeof RELEASE_STEPS)[number];

export interface ReleasePorts {
  /** Its `step` announces each step; build and push output goes in its groups. */
  readonly logger: Logger;
  /** Asked before anything is reserved or pushed, and before the manifests change; false stops the run. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** Runs the docker CLI. */
  readonly exec: Exec;
  /** Reaches the app repository (and the manifests repository unless `manifestsGithub` is given). */
  readonly github: GitHubClient;
  readonly manifestsGithub?: GitHubClient | undefined;
  readonly ecr: EcrClient;
  /** Parameter Store for the parameter check; default a client from the SDK's default chain. */
  readonly parameterLookup?: ((region: string) => ParameterLookup) | undefined;
  /** Called with each secret (the registry password) the moment it exists. */
  readonly maskSecret?: ((secret: string) => void) | undefined;
  /** For the image's `created` label; a fixed time per commit lets a re-run rebuild the same image. */
  readonly clock?: (() => Date) | undefined;
  /** Where the private DOCKER_CONFIG directory of the run goes. Default the OS temp dir. */
  readonly tempDir?: string | undefined;
  /** The docker client to run. Default `docker` from PATH. */
  readonly docker?: string | undefined;
  /**
   * Given: the image step leaves its registry credentials for the caller to remove (the CLI does,
   * on exit and on Ctrl-C) and tells it where they are; see publishReleaseImage.
   */
  readonly keepCredentials?: ((credentials: RegistryCredentials) => void) | undefined;
  /** The app repository's git endpoint and token: its tags in one git request. Default the API. */
  readonly gitTags?: GitTagSource | undefined;
}

export interface ReleaseImage {
  /** What the manifests name and Argo CD pulls: `<ECR host>/<repository>:<tag>`. */
  readonly reference: string;
  /** Where it went (the registry the credentials reach): `<registry>/<repository>:<tag>`. */
  readonly pushedTo: string;
  readonly digest: string | undefined;
  /** `checked` is a dry run's promote: the source tag exists, nothing else happened. */
  readonly outcome: PublishOutcome | 'checked';
  readonly promotedFrom: string | undefined;
  /** A promotion's source as its labels and record describe it. */
  readonly promotedSource: PromotedSource | undefined;
  readonly publish: PublishResult | undefined;
}

export interface PullRequestPlan {
  readonly repository: string;
  readonly branch: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  readonly teamReviewers: readonly string[];
}

export interface OpenedPullRequest {
  readonly number: number;
  readonly url: string;
  readonly operation: 'created' | 'updated' | 'unchanged';
  readonly superseded: readonly number[];
  /** A newer release's pull request was already open: this one was closed in its favour. */
  readonly supersededBy: number | undefined;
}

export interface ManifestCommit {
  readonly sha: string;
  readonly branch: string;
  readonly changed: boolean;
}

/**
 * `released`: the chain ran to the end; `skipped`: the commit was already released (or already
 * part of a release); `planned`: a dry run; `cancelled`: a confirmation was declined.
 */
export type ReleaseStatus = 'released' | 'skipped' | 'planned' | 'cancelled';

export interface ReleaseResult {
  readonly status: ReleaseStatus;
  /** Why it was skipped or cancelled; '' otherwise. */
  readonly reason: string;
  readonly version: ComputedVersion;
  readonly manifests?: ManifestPlan;
  readonly image?: ReleaseImage;
  /** The pull request opened, or in a dry run the one that would be (pull-request mode only). */
  readonly pullRequest?: PullRequestPlan & { readonly opened?: OpenedPullRequest };
  /** The manifests commit: on the pull request branch, or on the base in direct mode. */
  readonly commit?: ManifestCommit;
  readonly release?: { readonly url: string; readonly created: boolean; readonly body: string };
  /** What the approvers read, as it was built. */
  readonly facts?: ReleaseFacts;
  readonly change?: ChangeResult;
}
