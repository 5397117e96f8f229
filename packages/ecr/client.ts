import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  PutImageCommand,
  paginateListImages,
  type ImageIdentifier,
  type ImageTagMutability,
} from '@aws-sdk/client-ecr';
import type { Logger } from '../kit/index.js';
import { toEcrError, type EcrCallContext } from './aws-errors.js';
import { EcrError } from './errors.js';
import {
  accountIdProblem,
  assertValid,
  imageDigestProblem,
  imageTagProblem,
  regionInfo,
  repositoryNameProblem,
} from './registry.js';

/** Every manifest kind a promote may copy: single-platform and multi-platform, Docker and OCI. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface EcrClientOptions {
  readonly region: string;
  readonly logger: Logger;
  /**
   * ECR API endpoint, e.g. `http://127.0.0.1:4566`. Leave unset in production: the SDK then picks the
   * regional endpoint and honours AWS's own `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL` variables.
   */
  readonly endpoint?: string | undefined;
  /** Registry (account id) to address; default the registry of the credentials' account. */
  readonly registryId?: string | undefined;
  /** Attempts per API call, throttling and 5xx retries included (SDK standard retry strategy). Default 5. */
  readonly maxAttempts?: number | undefined;
  /** Use the FIPS API endpoint (regions that have one); can't be combined with `endpoint`. */
  readonly fips?: boolean | undefined;
}

export interface EcrAuthorization {
  /** Always `AWS` for ECR. */
  readonly username: string;
  /**
   * SECRET. The registry password (valid 12 hours). The CALLER must mask it before anything can print
   * it (`core.setSecret(password)`), and also mask `base64(username:password)` if it writes a docker
   * config. Pass it to `docker login --password-stdin`, never on a command line.
   */
  readonly password: string;
  /** e.g. `https://008577686731.dkr.ecr.us-gov-west-1.amazonaws.com`. */
  readonly proxyEndpoint: string;
  /** The registry host to log in and push to, from proxyEndpoint: `008577686731.dkr.ecr....amazonaws.com`. */
  readonly registry: string;
  readonly expiresAt: Date | undefined;
}

export interface EcrImageDetails {
  readonly digest: string;
  /** Every tag on this image, sorted. */
  readonly tags: string[];
  readonly sizeInBytes: number | undefined;
  readonly pushedAt: Date | undefined;
  readonly manifestMediaType: string | undefined;
}

export interface EcrImageManifest {
  readonly digest: string;
  readonly mediaType: string;
  /** The manifest exactly as stored (its sha256 is `digest`). */
  readonly manifest: string;
}

/** The image to promote: by tag, or by digest (promotes exactly what was tested). */
export type ImageSelector = { readonly tag: string } | { readonly digest: string };

export interface PromoteRequest {
  readonly repository: string;
  readonly source: ImageSelector;
  readonly targetTag: string;
}

export interface PromoteResult {
  readonly digest: string;
  readonly mediaType: string;
  /** The target tag already named this digest, so nothing was written (a re-run). */
  readonly alreadyPresent: boolean;
  /** The digest the target tag named before it was moved (mutable repositories only). */
  readonly previousDigest: string | undefined;
}

function selectorText(selector: ImageSelector): string {
  return 'tag' in selector ? `tag '${selector.tag}'` : `digest ${selector.digest}`;
}

function validateSelector(selector: ImageSelector): ImageIdentifier {
  if ('tag' in selector) {
    assertValid(imageTagProblem(selector.tag));
    return { imageTag: selector.tag };
  }
  assertValid(imageDigestProblem(selector.digest));
  return { imageDigest: selector.digest };
}

/**
 * ECR through `@aws-sdk/client-ecr`. Credentials come from the SDK's default chain (environment,
 * web identity, shared config, instance roles): nothing here takes keys. Every failure is an EcrError.
 */
export class EcrClient {
  readonly sdk: ECRClient;
  readonly region: string;
  readonly registryId: string | undefined;
  private readonly logger: Logger;

  constructor(sdk: ECRClient, options: EcrClientOptions) {
    this.sdk = sdk;
    this.region = options.region;
    this.registryId = options.registryId;
    this.logger = options.logger;
  }

  /** Runs one API call, mapping failures to EcrError and noting retries. */
  private async call<T extends { $metadata: { attempts?: number | undefined } }>(
    context: Omit<EcrCallContext, 'region' | 'registryId'>,
    send: () => Promise<T>,
  ): Promise<T> {
    const full: EcrCallContext = { ...context, region: this.region, registryId: this.registryId };
    try {
      const output = await send();
      const attempts = output.$metadata.attempts ?? 1;
      if (attempts > 1) {
        this.logger.info(`ECR ${context.operation} succeeded after ${String(attempts)} attempts`);
      }
      return output;
    } catch (error: unknown) {
      throw toEcrError(error, full);
    }
  }

  /**
   * Docker credentials for the registry. The returned `password` is SECRET: the CALLER must mask it
   * (`core.setSecret`) before logging anything, and must pass it on stdin, never in argv.
   */
  async getAuthorization(): Promise<EcrAuthorization> {
    const output = await this.call({ operation: 'GetAuthorizationToken' }, () =>
      this.sdk.send(new GetAuthorizationTokenCommand({})),
    );
    const data = output.authorizationData?.[0];
    const token = data?.authorizationToken;
    const proxyEndpoint = data?.proxyEndpoint;
    if (token === undefined || proxyEndpoint === undefined) {
      throw new EcrError(
        'service',
        'ECR GetAuthorizationToken returned no authorization data (token or proxy endpoint missing)',
        { operation: 'GetAuthorizationToken' },
      );
    }
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator <= 0) {
      // Never echo the token: it is the credential.
      throw new EcrError(
        'service',
        'ECR GetAuthorizationToken returned a token that is not base64 of user:password',
        { operation: 'GetAuthorizationToken' },
      );
    }
    let registry: string;
    try {
      registry = new URL(proxyEndpoint).host;
    } catch {
      throw new EcrError(
        'service',
        `ECR GetAuthorizationToken returned a proxy endpoint that is not a URL: "${proxyEndpoint}"`,
        { operation: 'GetAuthorizationToken' },
      );
    }
    return {
      username: decoded.slice(0, separator),
      password: decoded.slice(separator + 1),
      proxyEndpoint,
      registry,
      expiresAt: data?.expiresAt,
    };
  }

  /** All tags in a repository, sorted; follows ListImages pagination (`pageSize` = maxResults, default ECR's 100). */
  async listImageTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    assertValid(repositoryNameProblem(repository));
    const tags = new Set<string>();
    const pages = paginateListImages(
      {
        client: this.sdk,
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      },
      { repositoryName: repository, registryId: this.registryId, filter: { tagStatus: 'TAGGED' } },
    );
    await this.call({ operation: 'ListImages', repository }, async () => {
      let attempts = 1;
      for await (const page of pages) {
        attempts = Math.max(attempts, page.$metadata.attempts ?? 1);
        for (const id of page.imageIds ?? []) {
          if (id.imageTag !== undefined) tags.add(id.imageTag);
        }
      }
      return { $metadata: { attempts } };
    });
    return [...tags].sort();
  }

  /** The image a tag names, or undefined when the tag doesn't exist. */
  async describeImage(repository: string, tag: string): Promise<EcrImageDetails | undefined> {
    assertValid(repositoryNameProblem(repository));
    assertValid(imageTagProblem(tag));
    let output;
    try {
      output = await this.call({ operation: 'DescribeImages', repository, tag }, () =>
        this.sdk.send(
          new DescribeImagesCommand({
            repositoryName: repository,
            registryId: this.registryId,
            imageIds: [{ imageTag: tag }],
          }),
        ),
      );
    } catch (error: unknown) {
      if (error instanceof EcrError && error.kind === 'image-not-found') return undefined;
      throw error;
    }
    const detail = output.imageDetails?.[0];
    if (detail?.imageDigest === undefined) return undefined;
    return {
      digest: detail.imageDigest,
      tags: [...(detail.imageTags ?? [])].sort(),
      sizeInBytes: detail.imageSizeInBytes,
      pushedAt: detail.imagePushedAt,
      manifestMediaType: detail.imageManifestMediaType,
    };
  }

  /** `sha256:...` of the image a tag names, or undefined when the tag doesn't exist. */
  async getImageDigest(repository: string, tag: string): Promise<string | undefined> {
    return (await this.describeImage(repository, tag))?.digest;
  }

  async tagExists(repository: string, tag: string): Promise<boolean> {
    return (await this.getImageDigest(repository, tag)) !== undefined;
  }

  /**
   * The repository's tag mutability. The `*_WITH_EXCLUSION` values mean some tags (matching the
   * repository's exclusion filters) behave the other way.
   */
  async getTagMutability(repository: string): Promise<ImageTagMutability> {
    assertValid(repositoryNameProblem(repository));
    const output = await this.call({ operation: 'DescribeRepositories', repository }, () =>
      this.sdk.send(
        new DescribeRepositoriesCommand({
          repositoryNames: [repository],
          registryId: this.registryId,
        }),
      ),
    );
    // ECR's default when a repository was created without the setting.
    return output.repositories?.[0]?.imageTagMutability ?? 'MUTABLE';
  }

  /**
   * The manifest a tag names (BatchGetImage, every manifest media type accepted), or undefined when the
   * tag doesn't exist. For comparing an image with a local build before pushing: a single-platform
   * manifest's `config.digest` is the image id docker reports.
   */
  async getImageManifest(repository: string, tag: string): Promise<EcrImageManifest | undefined> {
    return (await this.getImageManifests(repository, [tag])).get(tag);
  }

  /**
   * The manifests several tags name, in one BatchGetImage call; tags that don't exist are absent from
   * the map.
   */
  async getImageManifests(
    repository: string,
    tags: readonly string[],
  ): Promise<Map<string, EcrImageManifest>> {
    assertValid(repositoryNameProblem(repository));
    for (const tag of tags) assertValid(imageTagProblem(tag));
    const output = await this.call({ operation: 'BatchGetImage', repository, tag: tags[0] }, () =>
      this.sdk.send(
        new BatchGetImageCommand({
          repositoryName: repository,
          registryId: this.registryId,
          imageIds: tags.map((imageTag) => ({ imageTag })),
          acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
        }),
      ),
    );
    const manifests = new Map<string, EcrImageManifest>();
    for (const image of output.images ?? []) {
      const tag = image.imageId?.imageTag;
      const manifest = image.imageManifest;
      const digest = image.imageId?.imageDigest;
      if (tag === undefined || manifest === undefined || digest === undefined) continue;
      manifests.set(tag, {
        digest,
        mediaType: image.imageManifestMediaType ?? mediaTypeOf(manifest),
        manifest,
      });
    }
    return manifests;
  }

  /**
   * Tags an existing image with `targetTag` by copying its manifest (BatchGetImage, then PutImage with
   * the same bytes and media type): no pull, no push, no layer moves, the digest is unchanged.
   * Re-running is safe: when the target tag already names the digest, nothing is written and
   * `alreadyPresent` is true. On an immutable repository, a target tag naming another digest is an
   * EcrError('tag-immutable') naming both digests; on a mutable one the tag moves (`previousDigest`).
   */
  async promoteImage(request: PromoteRequest): Promise<PromoteResult> {
    const { repository, targetTag } = request;
    assertValid(repositoryNameProblem(repository));
    assertValid(imageTagProblem(targetTag));
    const sourceId = validateSelector(request.source);

    // One call reads both: the source manifest and whatever the target tag names now.
    const output = await this.call({ operation: 'BatchGetImage', repository }, () =>
      this.sdk.send(
        new BatchGetImageCommand({
          repositoryName: repository,
          registryId: this.registryId,
          imageIds: [sourceId, { imageTag: targetTag }],
          acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
        }),
      ),
    );
    const images = output.images ?? [];
    const matches = (id: ImageIdentifier | undefined): boolean =>
      sourceId.imageTag !== undefined
        ? id?.imageTag === sourceId.imageTag
        : id?.imageDigest === sourceId.imageDigest;
    const source = images.find((image) => matches(image.imageId));
    const target = images.find((image) => image.imageId?.imageTag === targetTag);
    const manifest = source?.imageManifest;
    const digest = source?.imageId?.imageDigest;
    if (source === undefined || manifest === undefined || digest === undefined) {
      const failure = output.failures?.find((f) => matches(f.imageId));
      throw new EcrError(
        'image-not-found',
        `cannot promote: ${selectorText(request.source)} not found in ECR repository '${repository}' ` +
          `(${this.region})` +
          (failure?.failureCode === undefined || failure.failureCode === 'ImageNotFound'
            ? ''
            : `: ${failure.failureCode} ${failure.failureReason ?? ''}`.trimEnd()),
        { operation: 'BatchGetImage', awsError: failure?.failureCode },
      );
    }
    return this.tagManifest({
      repository,
      manifest: {
        digest,
        mediaType: source.imageManifestMediaType ?? mediaTypeOf(manifest),
        manifest,
      },
      targetTag,
      currentDigest: target?.imageId?.imageDigest,
    });
  }

  /**
   * Points `targetTag` at a manifest already read (e.g. by getImageManifests): one PutImage of the same
   * bytes, no BatchGetImage. `currentDigest` is what the caller read the tag to name (undefined: absent);
   * equal to the manifest's digest, nothing is written. Same errors and re-run behaviour as promoteImage.
   */
  async tagManifest(request: {
    readonly repository: string;
    readonly manifest: EcrImageManifest;
    readonly targetTag: string;
    readonly currentDigest: string | undefined;
  }): Promise<PromoteResult> {
    const { repository, targetTag, currentDigest: previousDigest } = request;
    const { digest, mediaType, manifest } = request.manifest;
    assertValid(repositoryNameProblem(repository));
    assertValid(imageTagProblem(targetTag));
    if (previousDigest === digest) {
      this.logger.info(`${repository}:${targetTag} already is ${digest}: nothing to promote`);
      return { digest, mediaType, alreadyPresent: true, previousDigest: undefined };
    }

    try {
      await this.call({ operation: 'PutImage', repository, tag: targetTag }, () =>
        this.sdk.send(
          new PutImageCommand({
            repositoryName: repository,
            registryId: this.registryId,
            imageManifest: manifest,
            imageManifestMediaType: mediaType,
            imageTag: targetTag,
            imageDigest: digest,
          }),
        ),
      );
    } catch (error: unknown) {
      if (!(error instanceof EcrError)) throw error;
      // Someone else promoted the same image in between: that is the state we wanted.
      if (error.awsError === 'ImageAlreadyExistsException') {
        return { digest, mediaType, alreadyPresent: true, previousDigest: undefined };
      }
      if (error.kind === 'tag-immutable') {
        const existing = previousDigest ?? (await this.getImageDigest(repository, targetTag));
        throw new EcrError(
          'tag-immutable',
          `cannot promote ${digest} to '${repository}:${targetTag}': the tag already names ` +
            `${existing ?? 'another image'} and the repository's tags are immutable; use a new tag`,
          { operation: 'PutImage', awsError: error.awsError, cause: error },
        );
      }
      throw error;
    }
    if (previousDigest !== undefined) {
      this.logger.info(`moved ${repository}:${targetTag} from ${previousDigest} to ${digest}`);
    }
    return { digest, mediaType, alreadyPresent: false, previousDigest };
  }
}

/** The `mediaType` field of a manifest, for registries that don't report it separately. */
function mediaTypeOf(manifest: string): string {
  try {
    const parsed: unknown = JSON.parse(manifest);
    if (typeof parsed === 'object' && parsed !== null && 'mediaType' in parsed) {
      const { mediaType } = parsed;
      if (typeof mediaType === 'string') return mediaType;
    }
  } catch {
    // Not JSON: fall through to the error below.
  }
  throw new EcrError('service', 'ECR returned a manifest without a media type', {
    operation: 'BatchGetImage',
  });
}

/**
 * An EcrClient with the SDK's standard retry strategy (throttling and 5xx retried with backoff, at
 * most `maxAttempts` attempts, default 5). Validates the region and registry id first.
 */
export function createEcrClient(options: EcrClientOptions): EcrClient {
  regionInfo(options.region);
  if (options.registryId !== undefined) assertValid(accountIdProblem(options.registryId));
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    throw new EcrError(
      'invalid-argument',
      `maxAttempts must be 1 to 10, got ${String(maxAttempts)}`,
    );
  }
  const sdk = new ECRClient({
    region: options.region,
    maxAttempts,
    retryMode: 'standard',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.fips === true ? { useFipsEndpoint: true } : {}),
  });
  return new EcrClient(sdk, options);
}
