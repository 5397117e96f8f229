/**
 * Releasing an image to ECR: build and push it, or promote (retag) one that is already there,
 * runtime-agnostic (ECR client, docker CLI, logger and clock are ports). The release's image step
 * (packages/release/image.ts) calls it, for ecr-build-push and the CLI alike.
 *
 * Re-runs and existing tags: the release tag is looked up before building. When it exists and its image
 * config carries this build's revision, version and source labels (read from the registry with the ECR
 * token), it already is this release: nothing is built or pushed (a runner killed after the push, a
 * re-run of the job). The revision pins the sources, Dockerfile included; build inputs beyond them
 * (build-args, target, platform) don't make another release (the README says so). Otherwise the build
 * runs and its image id (the sha256 of the image config) is compared with the `config.digest` of the
 * manifest the tag names. Equal means the same image, so nothing is pushed either. Neither path writes
 * the tag, so an immutable tag is never touched, and neither needs a scratch tag.
 *
 * Nothing half-done is ever visible: the extra tags and the inline-cache tag move only once the release
 * tag is confirmed to name the pushed image, and a push that fails leaves the tag as it was (a registry
 * writes a tag only with the manifest, after every blob). An ECR token that expires mid-push gets one
 * fresh login and one more push.
 */
import { performance } from 'node:perf_hooks';
import {
  EcrError,
  parseEcrRegistryHost,
  type EcrClient,
  type EcrImageManifest,
} from '../ecr/index.js';
import type { Logger } from '../kit/index.js';
import {
  defaultCache,
  ociLabels,
  type Builder,
  type BuilderKind,
  type BuildSpec,
} from './build-args.js';
import type { DockerCli, PushResult } from './cli.js';
import { DockerError } from './errors.js';
import { readImageLabels } from './registry-http.js';

export const IF_TAG_EXISTS = ['skip-same-digest', 'fail', 'overwrite'] as const;
export type IfTagExists = (typeof IF_TAG_EXISTS)[number];

/** Where the source lives, for the OCI labels. */
export interface SourceInfo {
  readonly serverUrl?: string | undefined;
  readonly repository?: string | undefined;
  readonly revision?: string | undefined;
}

/** What to build: the docker build options, less what publishImage decides itself (tags, iid file). */
export interface ImageBuild extends Omit<BuildSpec, 'tags' | 'iidFile' | 'labels' | 'cacheFrom'> {
  /** Added after (so they override) the OCI labels this sets. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Replaces the default `<repository>:cache` source; the release tag is still read on a re-run. */
  readonly cacheFrom?: readonly string[] | undefined;
  /** false: build only, nothing reaches the registry. */
  readonly push: boolean;
  readonly source: SourceInfo;
}

export interface PublishRequest {
  readonly repository: string;
  /** The first is the release tag; the others follow it (retagged through the ECR API, no upload). */
  readonly tags: readonly string[];
  readonly ifTagExists: IfTagExists;
  /** The ECR host computed from the account and region the caller named, if any. */
  readonly expectedRegistry?: string | undefined;
  /** Exactly one of build and promoteFrom. */
  readonly build?: ImageBuild | undefined;
  /** An existing tag in the repository to retag as the release, without building. */
  readonly promoteFrom?: string | undefined;
}

export interface PublishPorts {
  readonly ecr: EcrClient;
  /** Needed to build; promoting uses the ECR API only. */
  readonly docker?: DockerCli | undefined;
  readonly logger: Logger;
  /** Called with each secret the moment it exists, before anything can print it. */
  readonly maskSecret: (secret: string) => void;
  /** Called once docker is logged in, so the caller can log out afterwards. */
  readonly onLogin?: ((registry: string) => void) | undefined;
  /** For `org.opencontainers.image.created`. Default: now. */
  readonly clock?: (() => Date) | undefined;
}

/**
 * `pushed`: the image was pushed (or the tag moved to it); `already-present`: the tag already named
 * this image, nothing written; `promoted`: an existing image was retagged; `built-only`: `push: false`.
 */
export type PublishOutcome = 'pushed' | 'already-present' | 'promoted' | 'built-only';

export interface PublishResult {
  /** The registry host pushed to, e.g. `008577686731.dkr.ecr.us-gov-west-1.amazonaws.com`. */
  readonly registry: string;
  readonly repository: string;
  readonly releaseTag: string;
  readonly tags: readonly string[];
  /** `<registry>/<repository>:<release tag>` */
  readonly image: string;
  /** The manifest digest in ECR; undefined when nothing was pushed (`push: false`). */
  readonly digest: string | undefined;
  /** The image id (config digest) of a build. */
  readonly imageId: string | undefined;
  readonly sizeInBytes: number | undefined;
  readonly built: boolean;
  /** Something was written to the registry for the release tag. */
  readonly pushed: boolean;
  readonly outcome: PublishOutcome;
  readonly builder: BuilderKind | undefined;
  readonly promotedFrom: string | undefined;
  /** What the release tag named before, when it was moved (`if-tag-exists: overwrite`). */
  readonly previousDigest: string | undefined;
  readonly buildSeconds: number;
  readonly pushSeconds: number;
}

export class PublishError extends Error {
  override name = 'PublishError';
}

/**
 * The host to log in and push to. ECR's token names the credentials' own registry; the same token
 * works for another account's registry (cross-account push), so an explicitly named ECR host wins.
 * A proxy endpoint that is not an ECR host (a custom ECR endpoint, as in tests) is where images live.
 */
export function chooseRegistryHost(tokenHost: string, expected: string | undefined): string {
  if (expected === undefined || expected === tokenHost) return tokenHost;
  return parseEcrRegistryHost(tokenHost) === undefined ? tokenHost : expected;
}

/** `config.digest` of a single-platform manifest: the image id docker reports for it. */
export function configDigestOf(manifest: string): string | undefined {
  try {
    const parsed = JSON.parse(manifest) as { config?: { digest?: unknown } };
    const digest = parsed.config?.digest;
    return typeof digest === 'string' ? digest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bytes stored for a single-platform image: its config and (compressed) layers, as ECR counts
 * imageSizeInBytes. Undefined for an index.
 */
export function imageSizeOf(manifest: string): number | undefined {
  try {
    const parsed = JSON.parse(manifest) as {
      config?: { size?: unknown };
      layers?: { size?: unknown }[];
    };
    if (parsed.layers === undefined) return undefined;
    const sizes = [parsed.config?.size, ...parsed.layers.map((layer) => layer.size)];
    return sizes.reduce<number>((sum, size) => sum + (typeof size === 'number' ? size : 0), 0);
  } catch {
    return undefined;
  }
}

const secondsSince = (started: number): number => (performance.now() - started) / 1000;

const REVISION_LABEL = 'org.opencontainers.image.revision';
const VERSION_LABEL = 'org.opencontainers.image.version';
const SOURCE_LABEL = 'org.opencontainers.image.source';

/** Credentials for the registry, and where its HTTP API answers. */
interface RegistryAccess {
  readonly registry: string;
  readonly username: string;
  /** SECRET, masked the moment it exists. */
  readonly password: string;
  /** ECR's proxyEndpoint (`https://<host>`) for its own host; `https://<registry>` for another account's. */
  readonly baseUrl: string;
}

/** A fresh ECR token (GetAuthorizationToken), masked before anything can print it. */
async function authorize(request: PublishRequest, ports: PublishPorts): Promise<RegistryAccess> {
  const auth = await ports.ecr.getAuthorization();
  ports.maskSecret(auth.password);
  ports.maskSecret(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  const registry = chooseRegistryHost(auth.registry, request.expectedRegistry);
  if (registry !== auth.registry) {
    ports.logger.info(`pushing to ${registry} (the credentials' own registry is ${auth.registry})`);
  }
  const baseUrl = registry === auth.registry ? auth.proxyEndpoint : `https://${registry}`;
  return { registry, username: auth.username, password: auth.password, baseUrl };
}

/** A fresh token, stored as docker's credentials for the registry (the run's private config). */
async function logIn(
  request: PublishRequest,
  ports: PublishPorts,
  docker: DockerCli,
): Promise<RegistryAccess> {
  const access = await authorize(request, ports);
  docker.storeCredentials(access.registry, access);
  ports.onLogin?.(access.registry);
  return access;
}

/**
 * Points the extra tags, and `<repository>:cache` when `moveCacheTag`, at the release manifest. One
 * BatchGetImage reads what they name now (unless the caller already has that), then one PutImage per tag
 * that differs, all at once: copies inside ECR, no layer moves, a re-run writes nothing. Called only once
 * the release tag names `release`, so no tag ever runs ahead of it. The cache tag is never fatal: an
 * immutable or unwritable one just stays put (the next build reads less cache).
 */
async function tagRelease(
  request: PublishRequest,
  ports: PublishPorts,
  release: EcrImageManifest,
  moveCacheTag: boolean,
  mutability: string,
  known?: ReadonlyMap<string, EcrImageManifest>,
): Promise<void> {
  const { ecr, logger } = ports;
  const { repository } = request;
  const followers = [...new Set(request.tags.slice(1))].filter((tag) => tag !== request.tags[0]);
  let cacheTag = moveCacheTag && !request.tags.includes('cache');
  if (cacheTag && mutability === 'IMMUTABLE') {
    logger.info(
      `not moving ${repository}:cache (immutable repository); give cache-from the previous ` +
        'release tag, or exclude `cache` from immutability, to reuse layers on the next build',
    );
    cacheTag = false;
  }
  const tags = cacheTag ? [...followers, 'cache'] : followers;
  if (tags.length === 0) return;
  const current = known ?? (await ecr.getImageManifests(repository, tags));
  const cached = current.get('cache');
  // A no-change rebuild: the cache image already has exactly these layers, so it caches as well.
  const moving = tags.filter(
    (tag) => tag !== 'cache' || cached === undefined || !sameLayers(cached, release),
  );
  await Promise.all(
    moving.map(async (tag) => {
      try {
        const moved = await ecr.tagManifest({
          repository,
          manifest: release,
          targetTag: tag,
          currentDigest: current.get(tag)?.digest,
        });
        if (!moved.alreadyPresent && tag !== 'cache') {
          logger.info(`tagged ${repository}:${tag} -> ${release.digest}`);
        }
      } catch (error: unknown) {
        if (tag !== 'cache' || !(error instanceof EcrError)) throw error;
        logger.warning(`could not move ${repository}:cache: ${error.message}`);
      }
    }),
  );
}

/** Both are single-platform manifests with the very same layers (digests, in order). */
function sameLayers(a: EcrImageManifest, b: EcrImageManifest): boolean {
  const layersOf = (manifest: EcrImageManifest): string | undefined => {
    try {
      const parsed = JSON.parse(manifest.manifest) as { layers?: { digest?: unknown }[] };
      return parsed.layers === undefined
        ? undefined
        : JSON.stringify(parsed.layers.map((layer) => layer.digest));
    } catch {
      return undefined;
    }
  };
  const layers = layersOf(a);
  return layers !== undefined && layers === layersOf(b);
}

function exportsOwnCache(builder: Builder, build: ImageBuild): boolean {
  if ((build.cacheTo ?? []).length > 0) return true;
  return builder.kind === 'buildx' && builder.driver !== undefined && builder.driver !== 'docker';
}

/**
 * Whether the image the release tag names already is this release: its config carries this build's
 * revision, version (the release tag) and source labels. The revision pins the source (Dockerfile
 * included), so the only way it can be another image is other build inputs for the same release
 * (build-args, target, platform): the README says that counts as the same release. Needs a revision;
 * any failure to read the config just means "build and compare".
 */
async function isThisRelease(
  existing: EcrImageManifest,
  labels: Readonly<Record<string, string>>,
  access: RegistryAccess,
  repository: string,
  logger: Logger,
): Promise<boolean> {
  const revision = labels[REVISION_LABEL];
  const configDigest = configDigestOf(existing.manifest);
  if (revision === undefined || revision === '' || configDigest === undefined) return false;
  let found: Readonly<Record<string, string>>;
  try {
    found = await readImageLabels({
      baseUrl: access.baseUrl,
      repository,
      configDigest,
      username: access.username,
      password: access.password,
    });
  } catch (error: unknown) {
    logger.info(
      `could not read the labels of ${repository}@${existing.digest} (${error instanceof Error ? error.message : String(error)}): building to compare`,
    );
    return false;
  }
  return [REVISION_LABEL, VERSION_LABEL, SOURCE_LABEL].every((key) => found[key] === labels[key]);
}

/**
 * `docker push`; when the registry refuses the credentials part-way (an ECR token expires after 12 hours,
 * a long build can outlive it), one fresh GetAuthorizationToken + `docker login` and one more push.
 * Layers already uploaded are skipped by that push.
 */
async function pushWithFreshLogin(
  request: PublishRequest,
  ports: PublishPorts,
  docker: DockerCli,
  reference: string,
): Promise<PushResult> {
  try {
    return await docker.push(reference);
  } catch (error: unknown) {
    if (!(error instanceof DockerError) || error.kind !== 'credentials-rejected') throw error;
    ports.logger.warning(
      `${error.message}: the ECR token may have expired; logging in again with a new one and pushing once more`,
    );
  }
  await logIn(request, ports, docker);
  try {
    return await docker.push(reference);
  } catch (error: unknown) {
    if (!(error instanceof DockerError) || error.kind !== 'credentials-rejected') throw error;
    throw new PublishError(
      `${error.message}, also with a fresh ECR token: check that the role may push to this repository ` +
        '(ecr:InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage); nothing was tagged',
      { cause: error },
    );
  }
}

/** What a build of the release tag starts from: the registry, the tag's image, the builder. */
interface BuildContext {
  readonly access: Awaited<ReturnType<typeof logIn>>;
  readonly mutability: Awaited<ReturnType<EcrClient['getTagMutability']>>;
  readonly existing: Awaited<ReturnType<EcrClient['getImageManifest']>>;
  readonly builder: Builder;
  readonly repositoryRef: string;
  readonly reference: string;
  readonly labels: Record<string, string>;
  readonly moveCacheTag: boolean;
}

async function prepareBuild(
  request: PublishRequest,
  build: ImageBuild,
  ports: PublishPorts,
  docker: DockerCli,
  releaseTag: string,
): Promise<BuildContext> {
  const { ecr } = ports;
  const { repository } = request;
  // Independent look-ups at once: credentials + login, repository settings, the tag, the builder.
  const [access, mutability, existing, builder] = await Promise.all([
    logIn(request, ports, docker),
    ecr.getTagMutability(repository),
    ecr.getImageManifest(repository, releaseTag),
    docker.detectBuilder(),
  ]);
  if (existing !== undefined && build.push && request.ifTagExists === 'fail') {
    throw new PublishError(
      `tag '${releaseTag}' already exists in ECR repository '${repository}' (${existing.digest}) ` +
        'and if-tag-exists is fail: use a new tag',
    );
  }
  const repositoryRef = `${access.registry}/${repository}`;
  const labels = {
    ...ociLabels({
      ...build.source,
      version: releaseTag,
      created: (ports.clock ?? (() => new Date()))(),
    }),
    ...build.labels,
  };
  return {
    access,
    mutability,
    existing,
    builder,
    repositoryRef,
    reference: `${repositoryRef}:${releaseTag}`,
    labels,
    moveCacheTag: !exportsOwnCache(builder, build),
  };
}

/**
 * A re-run of a release that is already in ECR (the job died after the push, or is run again):
 * reported without building. A rebuild on a warm daemon need not reproduce the image id.
 */
async function alreadyThisRelease(
  request: PublishRequest,
  build: ImageBuild,
  ports: PublishPorts,
  context: BuildContext,
  releaseTag: string,
): Promise<PublishResult | undefined> {
  const { existing, access, labels } = context;
  const { repository } = request;
  if (
    existing === undefined ||
    !build.push ||
    request.ifTagExists !== 'skip-same-digest' ||
    !(await isThisRelease(existing, labels, access, repository, ports.logger))
  ) {
    return undefined;
  }
  ports.logger.info(
    `${repository}:${releaseTag} already is this release (${existing.digest}, revision ` +
      `${labels[REVISION_LABEL] ?? ''}): nothing to build or push`,
  );
  const started = performance.now();
  await tagRelease(request, ports, existing, context.moveCacheTag, context.mutability);
  return {
    registry: access.registry,
    repository,
    releaseTag,
    tags: request.tags,
    image: context.reference,
    digest: existing.digest,
    imageId: configDigestOf(existing.manifest),
    sizeInBytes: imageSizeOf(existing.manifest),
    built: false,
    pushed: false,
    outcome: 'already-present',
    builder: undefined,
    promotedFrom: undefined,
    previousDigest: undefined,
    buildSeconds: 0,
    pushSeconds: secondsSince(started),
  };
}

async function buildImage(build: ImageBuild, docker: DockerCli, context: BuildContext) {
  const { builder, existing, reference } = context;
  const defaults = defaultCache(
    builder,
    context.repositoryRef,
    existing === undefined ? [] : [reference],
  );
  const cacheFrom =
    (build.cacheFrom ?? []).length > 0
      ? [...(build.cacheFrom ?? []), ...defaults.cacheFrom.slice(1)]
      : defaults.cacheFrom;
  const cacheTo = (build.cacheTo ?? []).length > 0 ? build.cacheTo : defaults.cacheTo;
  return docker.build(
    {
      context: build.context,
      file: build.file,
      tags: [reference],
      buildArgs: build.buildArgs,
      labels: context.labels,
      target: build.target,
      platform: build.platform,
      network: build.network,
      cacheFrom,
      cacheTo,
      pull: build.pull,
      noCache: build.noCache,
      secretEnvs: build.secretEnvs,
    },
    builder,
  );
}

type BuiltResult = Omit<
  PublishResult,
  'digest' | 'sizeInBytes' | 'pushed' | 'outcome' | 'previousDigest' | 'pushSeconds'
>;

/** Pushes the built image, unless the tag already names it; confirms what ECR then serves. */
async function pushBuilt(
  request: PublishRequest,
  ports: PublishPorts,
  docker: DockerCli,
  context: BuildContext,
  result: BuiltResult,
): Promise<PublishResult> {
  const { ecr, logger } = ports;
  const { existing, reference, moveCacheTag, mutability } = context;
  const { repository, releaseTag } = result;
  let previousDigest: string | undefined;
  if (existing !== undefined) {
    const same = sameImage(existing, result.imageId ?? '', request, releaseTag, mutability);
    if (same) {
      logger.info(
        `${repository}:${releaseTag} already is this image (${existing.digest}): nothing to push`,
      );
      const started = performance.now();
      await tagRelease(request, ports, existing, moveCacheTag, mutability);
      return {
        ...result,
        digest: existing.digest,
        sizeInBytes: imageSizeOf(existing.manifest),
        pushed: false,
        outcome: 'already-present',
        previousDigest: undefined,
        pushSeconds: secondsSince(started),
      };
    }
    previousDigest = existing.digest;
    logger.warning(`overwriting ${repository}:${releaseTag} (was ${existing.digest})`);
  }
  const started = performance.now();
  const pushed = await pushWithFreshLogin(request, ports, docker, reference);
  // One BatchGetImage: what ECR now serves under the release tag (it must be what docker says it
  // pushed) and what the other tags name, which then move to it.
  const others = [...request.tags.slice(1), ...(moveCacheTag ? ['cache'] : [])];
  const manifests = await ecr.getImageManifests(repository, [...new Set([releaseTag, ...others])]);
  const confirmed = manifests.get(releaseTag);
  if (confirmed?.digest !== pushed.digest) {
    throw new PublishError(
      `docker push reported ${pushed.digest} for ${reference}, but ECR reports ` +
        `${confirmed?.digest ?? 'no image'} for that tag: did another run push it at the same time?`,
    );
  }
  await tagRelease(request, ports, confirmed, moveCacheTag, mutability, manifests);
  return {
    ...result,
    digest: pushed.digest,
    sizeInBytes: imageSizeOf(confirmed.manifest),
    pushed: true,
    outcome: 'pushed',
    previousDigest,
    pushSeconds: secondsSince(started),
  };
}

async function publishBuild(
  request: PublishRequest,
  build: ImageBuild,
  ports: PublishPorts,
  releaseTag: string,
): Promise<PublishResult> {
  const docker = ports.docker;
  if (docker === undefined) throw new PublishError('building needs the docker CLI port');
  const context = await prepareBuild(request, build, ports, docker, releaseTag);
  const present = await alreadyThisRelease(request, build, ports, context, releaseTag);
  if (present !== undefined) return present;
  const built = await buildImage(build, docker, context);
  ports.logger.info(
    `built ${context.reference} (image ${built.imageId}) in ${built.seconds.toFixed(1)} s`,
  );
  const result: BuiltResult = {
    registry: context.access.registry,
    repository: request.repository,
    releaseTag,
    tags: request.tags,
    image: context.reference,
    imageId: built.imageId,
    built: true,
    builder: context.builder.kind,
    promotedFrom: undefined,
    buildSeconds: built.seconds,
  };
  if (!build.push) {
    return {
      ...result,
      digest: undefined,
      sizeInBytes: undefined,
      pushed: false,
      outcome: 'built-only',
      previousDigest: undefined,
      pushSeconds: 0,
    };
  }
  return pushBuilt(request, ports, docker, context, result);
}

/**
 * Whether the image the release tag names is the one just built; throws when it isn't and the policy
 * or the repository forbids replacing it.
 */
function sameImage(
  existing: EcrImageManifest,
  imageId: string,
  request: PublishRequest,
  releaseTag: string,
  mutability: string,
): boolean {
  const existingImageId = configDigestOf(existing.manifest);
  // The classic image store's id is the config digest; the containerd image store's is the manifest's.
  if (existingImageId === imageId || existing.digest === imageId) return true;
  const what =
    `tag '${releaseTag}' already names ${existing.digest} ` +
    `(image ${existingImageId ?? 'of a multi-platform index'}) in ECR repository '${request.repository}', ` +
    `and this build is a different image (${imageId})`;
  if (request.ifTagExists !== 'overwrite') {
    throw new PublishError(
      `${what}; nothing was pushed: use a new tag, or if-tag-exists: overwrite in a mutable repository`,
    );
  }
  if (mutability === 'IMMUTABLE') {
    throw new PublishError(
      `${what}; the repository's tags are immutable, so it can't be overwritten: use a new tag`,
    );
  }
  return false;
}

async function publishPromotion(
  request: PublishRequest,
  promoteFrom: string,
  ports: PublishPorts,
  releaseTag: string,
): Promise<PublishResult> {
  const { ecr } = ports;
  const { repository } = request;
  // One BatchGetImage reads the source, whatever the release tag names now, and the extra tags.
  const [access, manifests] = await Promise.all([
    authorize(request, ports),
    ecr.getImageManifests(repository, [...new Set([promoteFrom, ...request.tags])]),
  ]);
  const source = manifests.get(promoteFrom);
  const existing = manifests.get(releaseTag);
  if (source === undefined) {
    throw new EcrError(
      'image-not-found',
      `cannot promote: tag '${promoteFrom}' not found in ECR repository '${repository}' (${ecr.region})`,
    );
  }
  let previousDigest: string | undefined;
  let mutability = 'MUTABLE';
  if (existing !== undefined) {
    const what = `tag '${releaseTag}' already names ${existing.digest} in ECR repository '${repository}'`;
    if (request.ifTagExists === 'fail') {
      throw new PublishError(`${what} and if-tag-exists is fail: use a new tag`);
    }
    if (existing.digest !== source.digest) {
      const versus = `${what}, not ${source.digest} ('${promoteFrom}')`;
      if (request.ifTagExists !== 'overwrite') {
        throw new PublishError(
          `${versus}; nothing was changed: use a new tag, or if-tag-exists: overwrite in a mutable repository`,
        );
      }
      mutability = await ecr.getTagMutability(repository);
      if (mutability === 'IMMUTABLE') {
        throw new PublishError(
          `${versus}; the repository's tags are immutable, so it can't be overwritten: use a new tag`,
        );
      }
      previousDigest = existing.digest;
    }
  }
  const started = performance.now();
  // The manifest read above, by digest: promotes exactly the image looked at, even if the source tag
  // moves meanwhile. The release tag first, then the others (never ahead of it).
  const promoted = await ecr.tagManifest({
    repository,
    manifest: source,
    targetTag: releaseTag,
    currentDigest: existing?.digest,
  });
  await tagRelease(request, ports, source, false, mutability, manifests);
  if (!promoted.alreadyPresent) {
    ports.logger.info(`promoted ${repository}:${promoteFrom} (${source.digest}) to ${releaseTag}`);
  }
  return {
    registry: access.registry,
    repository,
    releaseTag,
    tags: request.tags,
    image: `${access.registry}/${repository}:${releaseTag}`,
    digest: source.digest,
    imageId: undefined,
    sizeInBytes: imageSizeOf(source.manifest),
    built: false,
    pushed: !promoted.alreadyPresent,
    outcome: promoted.alreadyPresent ? 'already-present' : 'promoted',
    builder: undefined,
    promotedFrom: promoteFrom,
    previousDigest,
    buildSeconds: 0,
    pushSeconds: secondsSince(started),
  };
}

/** Builds and pushes (or promotes) the release image; see the module comment for re-runs. */
export async function publishImage(
  request: PublishRequest,
  ports: PublishPorts,
): Promise<PublishResult> {
  const releaseTag = request.tags[0];
  if (releaseTag === undefined) throw new PublishError('no tags: give at least the release tag');
  if (request.promoteFrom !== undefined && request.build === undefined) {
    return publishPromotion(request, request.promoteFrom, ports, releaseTag);
  }
  if (request.build === undefined || request.promoteFrom !== undefined) {
    throw new PublishError('give exactly one of a build and promoteFrom');
  }
  return publishBuild(request, request.build, ports, releaseTag);
}
