/**
 * Releasing an image to ECR: build and push it, or promote (retag) one that is already there. The
 * core of actions/ecr-build-push, runtime-agnostic (ECR client, docker CLI, logger and clock are ports).
 *
 * Re-runs and existing tags: the release tag is looked up before building. After the build, the local
 * image id (the sha256 of the image config) is compared with the `config.digest` of the manifest the
 * tag names in ECR. Equal means the same image (same layers, same config, labels included), so nothing
 * is pushed and the existing digest is reported. This never writes the tag, so an immutable tag is never
 * touched, and it needs no scratch tag: the manifest digest itself can't be known before a push (layer
 * compression happens there), the config digest can. Re-runs reproduce the image id when the build is
 * fully cached (the release image carries inline cache and is read back with `--cache-from`) and the
 * `created` label comes from a fixed clock (the commit time).
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
import type { DockerCli } from './cli.js';

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

async function authorize(
  request: PublishRequest,
  ports: PublishPorts,
): Promise<{ registry: string; username: string; password: string }> {
  const auth = await ports.ecr.getAuthorization();
  ports.maskSecret(auth.password);
  ports.maskSecret(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  const registry = chooseRegistryHost(auth.registry, request.expectedRegistry);
  if (registry !== auth.registry) {
    ports.logger.info(`pushing to ${registry} (the credentials' own registry is ${auth.registry})`);
  }
  return { registry, username: auth.username, password: auth.password };
}

/** Points each extra tag at `digest` through the ECR API (no layer moves; a re-run is a no-op). */
async function followTags(
  request: PublishRequest,
  ports: PublishPorts,
  digest: string,
): Promise<void> {
  for (const tag of request.tags.slice(1)) {
    const result = await ports.ecr.promoteImage({
      repository: request.repository,
      source: { digest },
      targetTag: tag,
    });
    if (!result.alreadyPresent)
      ports.logger.info(`tagged ${request.repository}:${tag} -> ${digest}`);
  }
}

/**
 * Moves `<repository>:cache` to the release image, whose inline cache the next build reads. Only where
 * the build didn't export a cache itself, and never fatal: an immutable `cache` tag just stays put.
 */
async function updateInlineCacheTag(
  request: PublishRequest,
  ports: PublishPorts,
  digest: string,
  mutability: string,
): Promise<void> {
  if (request.tags.includes('cache')) return;
  if (mutability === 'IMMUTABLE') {
    ports.logger.info(
      `not moving ${request.repository}:cache (immutable repository); give cache-from the previous ` +
        'release tag, or exclude `cache` from immutability, to reuse layers on the next build',
    );
    return;
  }
  try {
    await ports.ecr.promoteImage({
      repository: request.repository,
      source: { digest },
      targetTag: 'cache',
    });
  } catch (error: unknown) {
    if (!(error instanceof EcrError)) throw error;
    ports.logger.warning(`could not move ${request.repository}:cache: ${error.message}`);
  }
}

function exportsOwnCache(builder: Builder, build: ImageBuild): boolean {
  if ((build.cacheTo ?? []).length > 0) return true;
  return builder.kind === 'buildx' && builder.driver !== undefined && builder.driver !== 'docker';
}

async function publishBuild(
  request: PublishRequest,
  build: ImageBuild,
  ports: PublishPorts,
  releaseTag: string,
): Promise<PublishResult> {
  const { ecr, logger } = ports;
  const docker = ports.docker;
  if (docker === undefined) throw new PublishError('building needs the docker CLI port');
  const { repository } = request;

  // Independent look-ups at once: credentials + login, repository settings, the tag, the builder.
  const [registry, mutability, existing, builder] = await Promise.all([
    authorize(request, ports).then(async (access) => {
      await docker.login(access.registry, access);
      ports.onLogin?.(access.registry);
      return access.registry;
    }),
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

  const repositoryRef = `${registry}/${repository}`;
  const reference = `${repositoryRef}:${releaseTag}`;
  const defaults = defaultCache(builder, repositoryRef, existing === undefined ? [] : [reference]);
  const cacheFrom =
    (build.cacheFrom ?? []).length > 0
      ? [...(build.cacheFrom ?? []), ...defaults.cacheFrom.slice(1)]
      : defaults.cacheFrom;
  const cacheTo = (build.cacheTo ?? []).length > 0 ? build.cacheTo : defaults.cacheTo;
  const labels = {
    ...ociLabels({
      ...build.source,
      version: releaseTag,
      created: (ports.clock ?? (() => new Date()))(),
    }),
    ...build.labels,
  };
  const built = await docker.build(
    {
      context: build.context,
      file: build.file,
      tags: [reference],
      buildArgs: build.buildArgs,
      labels,
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
  logger.info(`built ${reference} (image ${built.imageId}) in ${built.seconds.toFixed(1)} s`);

  const result = {
    registry,
    repository,
    releaseTag,
    tags: request.tags,
    image: reference,
    imageId: built.imageId,
    built: true,
    builder: builder.kind,
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

  let previousDigest: string | undefined;
  if (existing !== undefined) {
    const same = sameImage(existing, built.imageId, request, releaseTag, mutability);
    if (same) {
      logger.info(
        `${repository}:${releaseTag} already is this image (${existing.digest}): nothing to push`,
      );
      const started = performance.now();
      await afterRelease(
        request,
        ports,
        existing.digest,
        !exportsOwnCache(builder, build),
        mutability,
      );
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
  const pushed = await docker.push(reference);
  // What ECR now serves under the tag must be what docker says it pushed. Checked while the other
  // tags move to that digest: those copies are of the pushed image either way.
  const [confirmed] = await Promise.all([
    ecr.getImageManifest(repository, releaseTag),
    afterRelease(request, ports, pushed.digest, !exportsOwnCache(builder, build), mutability),
  ]);
  if (confirmed?.digest !== pushed.digest) {
    throw new PublishError(
      `docker push reported ${pushed.digest} for ${reference}, but ECR reports ` +
        `${confirmed?.digest ?? 'no image'} for that tag: did another run push it at the same time?`,
    );
  }
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

/** Extra tags and the inline-cache tag, at once: both are manifest copies inside ECR. */
async function afterRelease(
  request: PublishRequest,
  ports: PublishPorts,
  digest: string,
  moveCacheTag: boolean,
  mutability: string,
): Promise<void> {
  await Promise.all([
    followTags(request, ports, digest),
    moveCacheTag ? updateInlineCacheTag(request, ports, digest, mutability) : Promise.resolve(),
  ]);
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
  // One BatchGetImage reads both the source and whatever the release tag names now.
  const [access, manifests] = await Promise.all([
    authorize(request, ports),
    ecr.getImageManifests(repository, [promoteFrom, releaseTag]),
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
      if ((await ecr.getTagMutability(repository)) === 'IMMUTABLE') {
        throw new PublishError(
          `${versus}; the repository's tags are immutable, so it can't be overwritten: use a new tag`,
        );
      }
      previousDigest = existing.digest;
    }
  }
  const started = performance.now();
  // By digest: promotes exactly the image looked at, even if the source tag moves meanwhile.
  const promoted = await ecr.promoteImage({
    repository,
    source: { digest: source.digest },
    targetTag: releaseTag,
  });
  await followTags(request, ports, source.digest);
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
