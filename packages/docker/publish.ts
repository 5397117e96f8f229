/**
 * Releasing an image to ECR: build and push it, or promote (retag) one that is already there,
 * runtime-agnostic (ECR client, docker CLI, logger and clock are ports). The release's image step
 * (packages/release/image.ts) calls it, for ecr-build-push and the CLI alike.
 *
 * Re-runs and existing tags: the release tag is looked up before building. Labels prove nothing (any
 * ECR writer can push an image with this release's revision, version and source labels under the
 * next, predictable number), so an image already under the tag is this release only by evidence:
 * - with a provenance record (ports.records: the app repository's GitHub release of the tag, which
 *   an ECR writer cannot write), when the record names it: its digest, or the image id the record
 *   got before a push whose run was killed before confirming it. Nothing is built or pushed then.
 *   Any other image under the tag is refused, naming its digest;
 * - without one, when a build makes the very same image: its image id (the sha256 of the image
 *   config) equals the `config.digest` of the manifest the tag names.
 * Neither path writes the tag, so an immutable tag is never touched, and neither needs a scratch tag.
 * No registry cache is read unless the caller names one (cacheFrom): a tag is movable by any writer.
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

/**
 * What this suite pushed for a release tag, kept where an ECR writer cannot write (the release's
 * record store: packages/release/provenance.ts keeps it in the app repository's GitHub release).
 */
export interface ImageRecord {
  readonly repository: string;
  readonly tag: string;
  /** The build's image id (config digest), written before the push. */
  readonly imageId?: string | undefined;
  /** The manifest digest ECR serves, written once the push is confirmed. */
  readonly digest?: string | undefined;
  /** The commit the image was built from (its revision label). */
  readonly revision?: string | undefined;
  /** The tag a promotion copied. */
  readonly promotedFrom?: string | undefined;
  /** Where the run that pushed it can be seen. */
  readonly run?: string | undefined;
  /** A promotion's: where the run that built the source can be seen (from the source's record). */
  readonly builtBy?: string | undefined;
}

export interface ImageRecordStore {
  /** Where the record lives, for messages, e.g. `the GitHub release cms/v0.0.5 of octo/cms`. */
  readonly where: string;
  read(): Promise<ImageRecord | undefined>;
  write(record: ImageRecord): Promise<void>;
}

/** What a promotion may take: the image must be built from the released commit, unless allowed. */
export interface PromotionRule {
  /** The commit being released: the source image's revision label must name it. */
  readonly revision: string;
  /** The reason an image of another commit may be promoted anyway (allow-downgrade); else refused. */
  readonly otherRevisionReason?: string | undefined;
  /** The source tag's own provenance record, when it is a release: its digest must still be there. */
  readonly sourceRecord?: ImageRecord | undefined;
}

/** What the promoted image says of itself (its labels), read from the registry. */
export interface PromotedSource {
  readonly tag: string;
  readonly digest: string;
  readonly revision: string | undefined;
  readonly version: string | undefined;
  /** The run that pushed it, from its record. */
  readonly run?: string | undefined;
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
  /** Given with promoteFrom: which source images may be promoted. */
  readonly promotion?: PromotionRule | undefined;
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
  /**
   * The release's provenance record. Given: an image already under the release tag is this
   * release's only when the record names it; the record is written before and after the push.
   * Not given: an existing tag is trusted only when a build makes the very same image.
   */
  readonly records?: ImageRecordStore | undefined;
  /** The run pushing, recorded with the image. */
  readonly run?: string | undefined;
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
  /** A promotion's source, as its labels describe it. */
  readonly promotedSource?: PromotedSource | undefined;
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
  /** The provenance record of the release tag, when the caller keeps one. */
  readonly record: ImageRecord | undefined;
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
  const [access, mutability, existing, builder, record] = await Promise.all([
    logIn(request, ports, docker),
    ecr.getTagMutability(repository),
    ecr.getImageManifest(repository, releaseTag),
    docker.detectBuilder(),
    ports.records?.read(),
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
    record,
    builder,
    repositoryRef,
    reference: `${repositoryRef}:${releaseTag}`,
    labels,
    moveCacheTag: !exportsOwnCache(builder, build),
  };
}

/**
 * An image already under the release tag, when the release keeps a provenance record: this
 * release's only when the record names it (its digest, or the image id written before a push that
 * a killed run never confirmed). Anything else was put there by someone else with push rights to
 * the repository (the next number and the labels are predictable), and is refused, never shipped.
 */
async function recordedRelease(
  request: PublishRequest,
  build: ImageBuild,
  ports: PublishPorts,
  context: BuildContext,
  releaseTag: string,
): Promise<PublishResult | undefined> {
  const { existing, access, record } = context;
  const { repository } = request;
  const records = ports.records;
  if (existing === undefined || !build.push || records === undefined) return undefined;
  const recorded = record?.digest !== undefined && record.digest === existing.digest;
  const unconfirmed =
    record?.digest === undefined &&
    record?.imageId !== undefined &&
    configDigestOf(existing.manifest) === record.imageId;
  if (!recorded && !unconfirmed) {
    const what =
      `tag '${releaseTag}' already has an image in ECR repository '${repository}' (${existing.digest}) ` +
      `that this release did not push: ${records.where} ${record === undefined ? 'holds no record of it' : `records ${record.digest ?? record.imageId ?? 'another image'}`}`;
    if (request.ifTagExists !== 'overwrite') {
      throw new PublishError(
        `${what}; someone with push rights to the repository put it there: delete it (aws ecr batch-delete-image --repository-name ${repository} --image-ids imageTag=${releaseTag}) and run again`,
      );
    }
    ports.logger.warning(`${what}; if-tag-exists is overwrite: building and replacing it`);
    return undefined;
  }
  if (unconfirmed) await records.write({ ...record, digest: existing.digest });
  ports.logger.info(
    `${repository}:${releaseTag} already is this release (${existing.digest}, recorded in ${records.where}): nothing to build or push`,
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
  const { builder, reference } = context;
  // No cache is read unless asked for: any ECR writer can move a tag such as `:cache` or the release
  // tag itself, and a poisoned layer would ship under the release's number (docs/reliability.md).
  const defaults = defaultCache(builder, context.repositoryRef);
  const cacheFrom = build.cacheFrom ?? [];
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
      await ports.records?.write({
        repository,
        tag: releaseTag,
        imageId: result.imageId,
        digest: existing.digest,
        revision: context.labels[REVISION_LABEL],
        run: ports.run,
      });
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
  const record: ImageRecord = {
    repository,
    tag: releaseTag,
    imageId: result.imageId,
    revision: context.labels[REVISION_LABEL],
    run: ports.run,
  };
  // Before the push: a run killed after it still finds its image recorded (by its image id).
  await ports.records?.write(record);
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
  await ports.records?.write({ ...record, digest: pushed.digest });
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
  const present = await recordedRelease(request, build, ports, context, releaseTag);
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

const nonEmptyLabel = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/** The promoted image's revision and version labels (unknown when its config cannot be read). */
async function readPromotedSource(
  access: RegistryAccess,
  repository: string,
  tag: string,
  source: EcrImageManifest,
): Promise<PromotedSource> {
  const configDigest = configDigestOf(source.manifest);
  const labels =
    configDigest === undefined
      ? {}
      : await readImageLabels({
          baseUrl: access.baseUrl,
          repository,
          configDigest,
          username: access.username,
          password: access.password,
        }).catch((): Readonly<Record<string, string>> => ({}));
  return {
    tag,
    digest: source.digest,
    revision: nonEmptyLabel(labels[REVISION_LABEL]),
    version: nonEmptyLabel(labels[VERSION_LABEL]),
  };
}

/** One revision names another: equal, or one the abbreviation of the other (7+ hex digits). */
function sameRevision(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return (
    /^[0-9a-f]{7,}$/.test(x) && /^[0-9a-f]{7,}$/.test(y) && (x.startsWith(y) || y.startsWith(x))
  );
}

/**
 * A promotion gives an existing image the release's number: it must be an image of the commit
 * being released (its revision label), or the manifests would move forward in number to other code,
 * with the release notes of commits it does not hold. Another commit's image goes only with a reason.
 */
export function checkPromotedSource(
  rule: PromotionRule | undefined,
  source: PromotedSource,
  logger: Logger,
): void {
  if (rule === undefined) return;
  const recorded = rule.sourceRecord?.digest;
  if (recorded !== undefined && recorded !== source.digest) {
    throw new PublishError(
      `cannot promote: '${source.tag}' is ${source.digest} in ECR, but its release recorded ${recorded}: the tag was moved after its release; put the recorded image back under it or promote another release`,
    );
  }
  if (source.revision !== undefined && sameRevision(source.revision, rule.revision)) return;
  const built =
    source.revision === undefined
      ? 'from an unknown commit (it has no org.opencontainers.image.revision label)'
      : `from commit ${source.revision.slice(0, 12)}`;
  const what = `'${source.tag}' (${source.digest}) was built ${built}, not from the released commit ${rule.revision.slice(0, 12)}`;
  const reason = rule.otherRevisionReason?.trim() ?? '';
  if (reason === '') {
    throw new PublishError(
      `cannot promote: ${what}; promote an image of that commit, release the image's own commit, or set allow-downgrade with a downgrade-reason to promote it anyway`,
    );
  }
  logger.warning(`promoting ${what}: allowed, reason given: ${reason}`);
}

/**
 * A dry run's promotion: the source exists and passes checkPromotedSource; nothing is written.
 * Returns the source and the registry the release tag would be in.
 */
export async function inspectPromotion(
  request: PublishRequest,
  promoteFrom: string,
  ports: PublishPorts,
): Promise<PromotedSource & { readonly registry: string }> {
  const [access, source] = await Promise.all([
    authorize(request, ports),
    ports.ecr.getImageManifest(request.repository, promoteFrom),
  ]);
  const accepted = await acceptedSource(request, promoteFrom, ports, access, source);
  const { tag, digest, revision, version, run } = accepted;
  return { tag, digest, revision, version, run, registry: access.registry };
}

/** The source to promote, as read from the registry, once checkPromotedSource accepts it. */
async function acceptedSource(
  request: PublishRequest,
  promoteFrom: string,
  ports: PublishPorts,
  access: RegistryAccess,
  source: EcrImageManifest | undefined,
): Promise<PromotedSource & { readonly manifest: EcrImageManifest }> {
  if (source === undefined) {
    throw new EcrError(
      'image-not-found',
      `cannot promote: tag '${promoteFrom}' not found in ECR repository '${request.repository}' (${ports.ecr.region})`,
    );
  }
  const promoted = {
    ...(await readPromotedSource(access, request.repository, promoteFrom, source)),
    run: request.promotion?.sourceRecord?.run,
  };
  checkPromotedSource(request.promotion, promoted, ports.logger);
  return { ...promoted, manifest: source };
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
  const existing = manifests.get(releaseTag);
  const { manifest: source, ...promotedSource } = await acceptedSource(
    request,
    promoteFrom,
    ports,
    access,
    manifests.get(promoteFrom),
  );
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
  await ports.records?.write({
    repository,
    tag: releaseTag,
    digest: source.digest,
    revision: promotedSource.revision,
    promotedFrom: promoteFrom,
    run: ports.run,
    builtBy: promotedSource.run,
  });
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
    promotedSource,
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
