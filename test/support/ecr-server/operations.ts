/**
 * The ECR operations, backed by the real registry through the OCI distribution API. ECR state that a
 * registry doesn't have (repositories, tag mutability, push times) lives here; images live in the registry.
 */
import { ALL_MANIFEST_TYPES, RegistryApiError, sha256Digest } from '../docker/registry-api.js';
import type { RegistryApi } from '../docker/registry-api.js';
import { EcrApiError, imageNotFound, invalidParameter, repositoryNotFound } from './errors.js';
import type { EcrOperation, EcrRepositoryRecord, TagMutability } from './types.js';

type Input = Readonly<Record<string, unknown>>;

export interface EcrState {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly registryHost: string;
  /** The password GetAuthorizationToken's token carries, asked at each call. */
  readonly registryPassword: () => string;
  readonly registry: RegistryApi;
  readonly repositories: Map<string, EcrRepositoryRecord>;
  /** `<repository>@<digest>` -> when it was first pushed or seen (ECR's imagePushedAt). */
  readonly pushedAt: Map<string, Date>;
}

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

const REPOSITORY_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
const MUTABILITIES: readonly string[] = [
  'MUTABLE',
  'IMMUTABLE',
  'MUTABLE_WITH_EXCLUSION',
  'IMMUTABLE_WITH_EXCLUSION',
];

/** Epoch seconds, the only timestamp form the SDK parses. */
const epochSeconds = (date: Date): number => date.getTime() / 1000;

function optionalString(input: Input, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw invalidParameter(
      `Invalid parameter at '${member}' failed to satisfy constraint: 'must be a string'`,
    );
  }
  return value;
}

function requiredString(input: Input, member: string): string {
  const value = optionalString(input, member);
  if (value === undefined) {
    throw invalidParameter(
      `Invalid parameter at '${member}' failed to satisfy constraint: 'Member must not be null'`,
    );
  }
  return value;
}

function maxResultsOf(input: Input): number | undefined {
  const value = input.maxResults;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
    throw invalidParameter(
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'",
    );
  }
  return value;
}

function imageIdsOf(input: Input, required: boolean): ImageId[] | undefined {
  const value = input.imageIds;
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value) || value.length < 1 || value.length > 100) {
    throw invalidParameter(
      "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'",
    );
  }
  return value.map((item: unknown) => {
    const record = typeof item === 'object' && item !== null ? (item as Input) : {};
    const imageDigest = optionalString(record, 'imageDigest');
    const imageTag = optionalString(record, 'imageTag');
    if (imageDigest === undefined && imageTag === undefined) {
      throw invalidParameter(
        'Invalid parameter: an image identifier needs an imageDigest or an imageTag',
      );
    }
    return {
      ...(imageDigest === undefined ? {} : { imageDigest }),
      ...(imageTag === undefined ? {} : { imageTag }),
    };
  });
}

/** Opaque to clients; names the operation and repository so a token can't be replayed elsewhere. */
function encodeToken(operation: string, scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ operation, scope, offset })).toString('base64');
}

function decodeToken(input: Input, operation: string, scope: string): number {
  const token = optionalString(input, 'nextToken');
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      operation?: unknown;
      scope?: unknown;
      offset?: unknown;
    };
    if (
      parsed.operation === operation &&
      parsed.scope === scope &&
      typeof parsed.offset === 'number'
    ) {
      return parsed.offset;
    }
  } catch {
    // Falls through to the error below.
  }
  throw invalidParameter("Invalid parameter at 'nextToken': the token is invalid or expired");
}

function page<T>(
  items: readonly T[],
  input: Input,
  operation: string,
  scope: string,
): { items: T[]; nextToken: string | undefined } {
  const offset = decodeToken(input, operation, scope);
  const size = maxResultsOf(input) ?? 100;
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? encodeToken(operation, scope, end) : undefined,
  };
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class EcrOperations {
  constructor(private readonly state: EcrState) {}

  /** Validates `repositoryName` (and `registryId`) and returns the repository, or throws ECR's errors. */
  private repository(input: Input): EcrRepositoryRecord {
    const name = requiredString(input, 'repositoryName');
    this.validateName(name);
    const registryId = optionalString(input, 'registryId') ?? this.state.accountId;
    const record = this.state.repositories.get(name);
    if (registryId !== this.state.accountId || record === undefined) {
      throw repositoryNotFound(name, registryId);
    }
    return record;
  }

  private validateName(name: string): void {
    if (name.length < 2 || name.length > 256 || !REPOSITORY_PATTERN.test(name)) {
      throw invalidParameter(
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression " +
          `'${REPOSITORY_PATTERN.source.slice(1, -1)}''`,
      );
    }
  }

  newRepository(name: string, mutability: TagMutability): EcrRepositoryRecord {
    this.validateName(name);
    const { accountId, region, partition, registryHost } = this.state;
    const record: EcrRepositoryRecord = {
      repositoryName: name,
      repositoryArn: `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`,
      registryId: accountId,
      repositoryUri: `${registryHost}/${name}`,
      createdAt: new Date(),
      imageTagMutability: mutability,
    };
    this.state.repositories.set(name, record);
    return record;
  }

  private repositoryOutput(record: EcrRepositoryRecord): Record<string, unknown> {
    return {
      repositoryArn: record.repositoryArn,
      registryId: record.registryId,
      repositoryName: record.repositoryName,
      repositoryUri: record.repositoryUri,
      createdAt: epochSeconds(record.createdAt),
      imageTagMutability: record.imageTagMutability,
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    };
  }

  private pushedAt(repository: string, digest: string): Date {
    const key = `${repository}@${digest}`;
    let when = this.state.pushedAt.get(key);
    if (when === undefined) {
      when = new Date();
      this.state.pushedAt.set(key, when);
    }
    return when;
  }

  /** Sorted tags with their digests, read from the registry. */
  private async taggedImages(repository: string): Promise<{ tag: string; digest: string }[]> {
    const tags = (await this.state.registry.tags(repository)).sort();
    const heads = await mapLimit(tags, 16, (tag) =>
      this.state.registry.headManifest(repository, tag),
    );
    const images: { tag: string; digest: string }[] = [];
    tags.forEach((tag, index) => {
      const head = heads[index];
      if (head !== undefined) images.push({ tag, digest: head.digest });
    });
    return images;
  }

  /** The digest an image id names, or undefined; ImageTagDoesNotMatchDigest when tag and digest disagree. */
  private async resolve(repository: string, id: ImageId): Promise<string | undefined> {
    if (id.imageDigest !== undefined && !DIGEST_PATTERN.test(id.imageDigest)) {
      throw invalidParameter(
        `Invalid parameter at 'imageDigest': '${id.imageDigest}' is not a valid digest`,
      );
    }
    const head = await this.state.registry.headManifest(
      repository,
      id.imageTag ?? id.imageDigest ?? '',
    );
    if (head === undefined) return undefined;
    if (id.imageDigest !== undefined && head.digest !== id.imageDigest) {
      throw new EcrApiError(
        'ImageTagDoesNotMatchDigestException',
        'The image tag does not match the digest',
      );
    }
    return head.digest;
  }

  GetAuthorizationToken(): Promise<unknown> {
    const token = Buffer.from(`AWS:${this.state.registryPassword()}`).toString('base64');
    return Promise.resolve({
      authorizationData: [
        {
          authorizationToken: token,
          expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
          proxyEndpoint: `http://${this.state.registryHost}`,
        },
      ],
    });
  }

  CreateRepository(input: Input): Promise<unknown> {
    const name = requiredString(input, 'repositoryName');
    this.validateName(name);
    if (this.state.repositories.has(name)) {
      throw new EcrApiError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${this.state.accountId}'`,
      );
    }
    const mutability = optionalString(input, 'imageTagMutability') ?? 'MUTABLE';
    if (!MUTABILITIES.includes(mutability)) {
      throw invalidParameter(`Invalid parameter at 'imageTagMutability': '${mutability}'`);
    }
    const record = this.newRepository(name, mutability as TagMutability);
    return Promise.resolve({ repository: this.repositoryOutput(record) });
  }

  DescribeRepositories(input: Input): Promise<unknown> {
    const names = input.repositoryNames;
    if (names !== undefined) {
      if (!Array.isArray(names) || names.length < 1 || names.length > 100) {
        throw invalidParameter("Invalid parameter at 'repositoryNames': 1 to 100 names");
      }
      if (input.nextToken !== undefined || input.maxResults !== undefined) {
        throw invalidParameter(
          'Invalid parameter: maxResults and nextToken cannot be used with repositoryNames',
        );
      }
      const records = names.map((name: unknown) =>
        this.repository({ repositoryName: name, registryId: input.registryId }),
      );
      return Promise.resolve({ repositories: records.map((r) => this.repositoryOutput(r)) });
    }
    const all = [...this.state.repositories.values()].sort((a, b) =>
      a.repositoryName.localeCompare(b.repositoryName),
    );
    const { items, nextToken } = page(all, input, 'DescribeRepositories', '*');
    return Promise.resolve({
      repositories: items.map((r) => this.repositoryOutput(r)),
      ...(nextToken === undefined ? {} : { nextToken }),
    });
  }

  async ListImages(input: Input): Promise<unknown> {
    const { repositoryName } = this.repository(input);
    const filter = input.filter as { tagStatus?: unknown } | undefined;
    // The distribution API can't list untagged manifests: an UNTAGGED filter finds none.
    const tags =
      filter?.tagStatus === 'UNTAGGED'
        ? []
        : (await this.state.registry.tags(repositoryName)).sort();
    const { items, nextToken } = page(tags, input, 'ListImages', repositoryName);
    const heads = await mapLimit(items, 16, (tag) =>
      this.state.registry.headManifest(repositoryName, tag),
    );
    const imageIds = items.flatMap((tag, index) => {
      const head = heads[index];
      return head === undefined ? [] : [{ imageDigest: head.digest, imageTag: tag }];
    });
    return { imageIds, ...(nextToken === undefined ? {} : { nextToken }) };
  }

  async DescribeImages(input: Input): Promise<unknown> {
    const { repositoryName } = this.repository(input);
    const ids = imageIdsOf(input, false);
    const all = await this.taggedImages(repositoryName);
    const tagsOf = (digest: string): string[] =>
      all.filter((image) => image.digest === digest).map((image) => image.tag);
    let digests: string[];
    let nextToken: string | undefined;
    if (ids !== undefined) {
      if (input.nextToken !== undefined || input.maxResults !== undefined) {
        throw invalidParameter(
          'Invalid parameter: maxResults and nextToken cannot be used with imageIds',
        );
      }
      digests = [];
      for (const id of ids) {
        const digest = await this.resolve(repositoryName, id);
        if (digest === undefined) throw imageNotFound(id, repositoryName, this.state.accountId);
        if (!digests.includes(digest)) digests.push(digest);
      }
    } else {
      const unique = [...new Set(all.map((image) => image.digest))];
      ({ items: digests, nextToken } = page(unique, input, 'DescribeImages', repositoryName));
    }
    const imageDetails = await mapLimit(digests, 8, async (digest) => {
      const manifest = await this.state.registry.getManifest(repositoryName, digest);
      const parsed =
        manifest === undefined ? {} : (JSON.parse(manifest.body.toString('utf8')) as ManifestJson);
      const size =
        (parsed.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0) +
        (parsed.manifests ?? []).reduce((sum, entry) => sum + (entry.size ?? 0), 0);
      return {
        registryId: this.state.accountId,
        repositoryName,
        imageDigest: digest,
        imageTags: tagsOf(digest),
        imageSizeInBytes: size,
        imagePushedAt: epochSeconds(this.pushedAt(repositoryName, digest)),
        imageManifestMediaType: manifest?.mediaType,
        ...(parsed.config?.mediaType === undefined
          ? {}
          : { artifactMediaType: parsed.config.mediaType }),
      };
    });
    return { imageDetails, ...(nextToken === undefined ? {} : { nextToken }) };
  }

  async BatchGetImage(input: Input): Promise<unknown> {
    const { repositoryName } = this.repository(input);
    const ids = imageIdsOf(input, true) ?? [];
    const acceptedInput = input.acceptedMediaTypes;
    const accepted = Array.isArray(acceptedInput)
      ? acceptedInput.filter((type): type is string => typeof type === 'string')
      : ALL_MANIFEST_TYPES;
    for (const id of ids) {
      if (id.imageDigest !== undefined && !DIGEST_PATTERN.test(id.imageDigest)) {
        throw invalidParameter(
          `Invalid parameter at 'imageDigest': '${id.imageDigest}' is not a valid digest`,
        );
      }
    }
    const read = async (id: ImageId): Promise<{ image?: unknown; failure?: unknown }> => {
      // One GET by tag (or digest): bytes and digest come from the same response, so a tag moving
      // meanwhile can't pair one image's digest with another's manifest.
      const manifest = await this.state.registry.getManifest(
        repositoryName,
        id.imageTag ?? id.imageDigest ?? '',
      );
      if (
        manifest !== undefined &&
        id.imageDigest !== undefined &&
        id.imageTag !== undefined &&
        manifest.digest !== id.imageDigest
      ) {
        return {
          failure: {
            imageId: id,
            failureCode: 'ImageTagDoesNotMatchDigest',
            failureReason: 'Invalid request: image tag does not match digest',
          },
        };
      }
      if (manifest === undefined) {
        return {
          failure: {
            imageId: id,
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          },
        };
      }
      if (!accepted.includes(manifest.mediaType)) {
        return {
          failure: {
            imageId: id,
            failureCode: 'ImageNotFound',
            failureReason: `Requested image not found in any of the accepted media types (it is ${manifest.mediaType})`,
          },
        };
      }
      return {
        image: {
          registryId: this.state.accountId,
          repositoryName,
          imageId: {
            imageDigest: manifest.digest,
            ...(id.imageTag === undefined ? {} : { imageTag: id.imageTag }),
          },
          imageManifest: manifest.body.toString('utf8'),
          imageManifestMediaType: manifest.mediaType,
        },
      };
    };
    const results = await mapLimit(ids, 8, read);
    const images = results.flatMap((result) => (result.image === undefined ? [] : [result.image]));
    const failures = results.flatMap((result) =>
      result.failure === undefined ? [] : [result.failure],
    );
    return { images, failures };
  }

  async PutImage(input: Input): Promise<unknown> {
    const repository = this.repository(input);
    const { repositoryName } = repository;
    const manifestText = requiredString(input, 'imageManifest');
    if (manifestText.length < 1 || manifestText.length > 4_194_304) {
      throw invalidParameter("Invalid parameter at 'imageManifest': length must be 1 to 4194304");
    }
    const body = Buffer.from(manifestText, 'utf8');
    const digest = sha256Digest(body);
    const givenDigest = optionalString(input, 'imageDigest');
    if (givenDigest !== undefined && givenDigest !== digest) {
      throw new EcrApiError(
        'ImageDigestDoesNotMatchException',
        `The specified digest '${givenDigest}' does not match the digest of the manifest, '${digest}'`,
      );
    }
    let parsed: ManifestJson;
    try {
      parsed = JSON.parse(manifestText) as ManifestJson;
    } catch {
      throw invalidParameter(
        "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
      );
    }
    const givenType = optionalString(input, 'imageManifestMediaType');
    if (
      givenType !== undefined &&
      parsed.mediaType !== undefined &&
      givenType !== parsed.mediaType
    ) {
      throw invalidParameter(
        `Invalid parameter at 'imageManifestMediaType': '${givenType}' does not match the manifest's mediaType '${parsed.mediaType}'`,
      );
    }
    const mediaType = givenType ?? parsed.mediaType;
    if (mediaType === undefined) {
      throw invalidParameter('Invalid parameter: the manifest media type is missing');
    }
    const tag = optionalString(input, 'imageTag');
    if (tag !== undefined && (tag.length < 1 || tag.length > 300)) {
      throw invalidParameter("Invalid parameter at 'imageTag': length must be 1 to 300");
    }
    if (tag !== undefined) {
      const existing = await this.state.registry.headManifest(repositoryName, tag);
      if (existing?.digest === digest) {
        throw new EcrApiError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name ` +
            `'${repositoryName}' in registry with id '${this.state.accountId}'`,
        );
      }
      if (existing !== undefined && repository.imageTagMutability.startsWith('IMMUTABLE')) {
        throw new EcrApiError(
          'ImageTagAlreadyExistsException',
          `The image tag '${tag}' already exists in the '${repositoryName}' repository and cannot be ` +
            'overwritten because the repository is immutable.',
        );
      }
    }
    try {
      await this.state.registry.putManifest(repositoryName, tag ?? digest, body, mediaType);
    } catch (error: unknown) {
      if (error instanceof RegistryApiError && error.code === 'MANIFEST_BLOB_UNKNOWN') {
        throw new EcrApiError(
          'LayersNotFoundException',
          `Layers required by the image are not in the repository with name '${repositoryName}'`,
        );
      }
      if (error instanceof RegistryApiError && error.status === 400) {
        throw invalidParameter(
          `Invalid parameter at 'imageManifest': the registry rejected it (${error.code ?? 'HTTP 400'})`,
        );
      }
      throw error;
    }
    this.state.pushedAt.set(
      `${repositoryName}@${digest}`,
      this.state.pushedAt.get(`${repositoryName}@${digest}`) ?? new Date(),
    );
    return {
      image: {
        registryId: this.state.accountId,
        repositoryName,
        imageId: { imageDigest: digest, ...(tag === undefined ? {} : { imageTag: tag }) },
        imageManifest: manifestText,
        imageManifestMediaType: mediaType,
      },
    };
  }

  /** Deletes by digest. Distribution can't untag, so deleting by tag removes every tag of that image. */
  async BatchDeleteImage(input: Input): Promise<unknown> {
    const { repositoryName } = this.repository(input);
    const ids = imageIdsOf(input, true) ?? [];
    const imageIds: unknown[] = [];
    const failures: unknown[] = [];
    for (const id of ids) {
      const digest = await this.resolve(repositoryName, id).catch(() => undefined);
      if (
        digest === undefined ||
        !(await this.state.registry.deleteManifest(repositoryName, digest))
      ) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
        continue;
      }
      imageIds.push({
        imageDigest: digest,
        ...(id.imageTag === undefined ? {} : { imageTag: id.imageTag }),
      });
    }
    return { imageIds, failures };
  }

  run(operation: EcrOperation, input: Input): Promise<unknown> {
    switch (operation) {
      case 'GetAuthorizationToken':
        return this.GetAuthorizationToken();
      case 'CreateRepository':
        return this.CreateRepository(input);
      case 'DescribeRepositories':
        return this.DescribeRepositories(input);
      case 'ListImages':
        return this.ListImages(input);
      case 'DescribeImages':
        return this.DescribeImages(input);
      case 'BatchGetImage':
        return this.BatchGetImage(input);
      case 'PutImage':
        return this.PutImage(input);
      case 'BatchDeleteImage':
        return this.BatchDeleteImage(input);
    }
  }
}

interface ManifestJson {
  mediaType?: string;
  config?: { mediaType?: string; size?: number };
  layers?: { size?: number }[];
  manifests?: { size?: number }[];
}
