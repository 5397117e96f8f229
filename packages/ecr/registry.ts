/**
 * Where ECR registries live: regions, partitions, registry hosts, repository names and image URIs.
 * This module is the one place that knows these rules; everything else asks it.
 */
import { EcrError } from './errors.js';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

interface PartitionData {
  readonly partition: Partition;
  readonly dnsSuffix: string;
  readonly regions: readonly string[];
}

// From the AWS SDK's partition data (@aws-sdk/core util-endpoints, 2026-11). The isolated partitions
// (aws-iso*, aws-eusc) are left out on purpose: their hosts and tooling differ and nothing here targets them.
const PARTITIONS: readonly PartitionData[] = [
  {
    partition: 'aws',
    dnsSuffix: 'amazonaws.com',
    regions: [
      'af-south-1',
      'ap-east-1',
      'ap-east-2',
      'ap-northeast-1',
      'ap-northeast-2',
      'ap-northeast-3',
      'ap-south-1',
      'ap-south-2',
      'ap-southeast-1',
      'ap-southeast-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-6',
      'ap-southeast-7',
      'ca-central-1',
      'ca-west-1',
      'eu-central-1',
      'eu-central-2',
      'eu-north-1',
      'eu-south-1',
      'eu-south-2',
      'eu-west-1',
      'eu-west-2',
      'eu-west-3',
      'il-central-1',
      'me-central-1',
      'me-south-1',
      'me-west-1',
      'mx-central-1',
      'sa-east-1',
      'sa-west-1',
      'us-east-1',
      'us-east-2',
      'us-west-1',
      'us-west-2',
    ],
  },
  { partition: 'aws-cn', dnsSuffix: 'amazonaws.com.cn', regions: ['cn-north-1', 'cn-northwest-1'] },
  {
    partition: 'aws-us-gov',
    dnsSuffix: 'amazonaws.com',
    regions: ['us-gov-east-1', 'us-gov-west-1'],
  },
];

/** Regions with `ecr-fips` endpoints (AWS's FIPS endpoint list). */
const FIPS_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'us-gov-east-1',
  'us-gov-west-1',
]);

const REGION_PATTERN = /^[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}$/;

export interface RegionInfo {
  readonly region: string;
  readonly partition: Partition;
  readonly dnsSuffix: string;
  readonly fipsAvailable: boolean;
}

function findRegion(region: string): RegionInfo | undefined {
  for (const data of PARTITIONS) {
    if (data.regions.includes(region)) {
      return {
        region,
        partition: data.partition,
        dnsSuffix: data.dnsSuffix,
        fipsAvailable: FIPS_REGIONS.has(region),
      };
    }
  }
  return undefined;
}

/** Every region this module knows, e.g. for documentation. */
export function knownRegions(): string[] {
  return PARTITIONS.flatMap((data) => data.regions);
}

/** Why `region` can't be used, or undefined when it can. For callers that report input errors. */
export function regionProblem(region: string): string | undefined {
  if (!REGION_PATTERN.test(region)) {
    return `"${region}" is not an AWS region code: use a code like us-east-1 or us-gov-west-1`;
  }
  if (findRegion(region)) return undefined;
  // Suggest the regions sharing the longest prefix: us-east-9 -> us-east-*, us-gov-north-1 -> us-gov-*.
  const words = region.split('-').slice(0, -1);
  let sameArea: string[] = [];
  for (let length = words.length; length > 0 && sameArea.length === 0; length--) {
    const prefix = `${words.slice(0, length).join('-')}-`;
    sameArea = knownRegions().filter((known) => known.startsWith(prefix));
  }
  return (
    `"${region}" is not a known AWS region` +
    (sameArea.length > 0 ? ` (did you mean ${sameArea.join(', ')}?)` : '') +
    '; isolated partitions (aws-iso*) are not supported'
  );
}

/** The region's partition and DNS suffix; throws EcrError for an unknown or malformed region. */
export function regionInfo(region: string): RegionInfo {
  const info = findRegion(region);
  if (info) return info;
  throw new EcrError('invalid-argument', regionProblem(region) ?? `unknown region "${region}"`);
}

export function accountIdProblem(accountId: string): string | undefined {
  return /^[0-9]{12}$/.test(accountId)
    ? undefined
    : `"${accountId}" is not an AWS account id: use the 12 digits, e.g. 008577686731`;
}

// ECR's own rule (API model `RepositoryName`): lower case, '/'-separated parts, single '.', '_' or '-'
// between alphanumerics, 2 to 256 characters.
const REPOSITORY_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function repositoryNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 256) {
    return `repository name "${name}" must be 2 to 256 characters long`;
  }
  if (!REPOSITORY_PATTERN.test(name)) {
    return (
      `"${name}" is not a valid ECR repository name: use lower-case letters and digits, ` +
      `separated by single '.', '_' or '-', in '/'-separated parts (e.g. team/my-app)`
    );
  }
  return undefined;
}

// ECR accepts up to 300 characters without a pattern, but docker and every OCI client use this rule,
// and a tag they can't parse can't be pulled.
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function imageTagProblem(tag: string): string | undefined {
  return TAG_PATTERN.test(tag)
    ? undefined
    : `"${tag}" is not a valid image tag: use up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`;
}

const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export function imageDigestProblem(digest: string): string | undefined {
  return DIGEST_PATTERN.test(digest)
    ? undefined
    : `"${digest}" is not an image digest: use sha256: followed by 64 lower-case hex digits`;
}

/** Throws EcrError('invalid-argument') with the problem text, if there is one. */
export function assertValid(problem: string | undefined): void {
  if (problem !== undefined) throw new EcrError('invalid-argument', problem);
}

export interface RegistryAddress {
  readonly accountId: string;
  readonly region: string;
  /** Use the FIPS 140 endpoint (`dkr.ecr-fips`); only some US and GovCloud regions have one. */
  readonly fips?: boolean;
}

/**
 * The private registry host of an account in a region, e.g.
 * `008577686731.dkr.ecr.us-gov-west-1.amazonaws.com` or `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn`.
 */
export function registryHost(address: RegistryAddress): string {
  assertValid(accountIdProblem(address.accountId));
  const info = regionInfo(address.region);
  if (address.fips === true && !info.fipsAvailable) {
    throw new EcrError(
      'invalid-argument',
      `ECR has no FIPS endpoint in ${address.region}: FIPS registries exist in ${[...FIPS_REGIONS].join(', ')}`,
    );
  }
  const service = address.fips === true ? 'ecr-fips' : 'ecr';
  return `${address.accountId}.dkr.${service}.${address.region}.${info.dnsSuffix}`;
}

/** Any image reference, `[registry/]repository[:tag][@digest]`, split into its parts. */
export interface ImageReference {
  /** Host (and port) when the reference names one, e.g. `127.0.0.1:5000`. */
  readonly registry: string | undefined;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** An image URI in a private ECR registry. */
export interface EcrImageUri extends ImageReference {
  readonly registry: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: Partition;
  readonly fips: boolean;
}

/**
 * Splits `[registry/]repository[:tag][@digest]` (docker's reference grammar; the first part is a registry
 * when it has a '.' or ':' or is `localhost`). Validates the repository against ECR's rule.
 */
export function parseImageReference(reference: string): ImageReference {
  const invalid = (why: string): EcrError =>
    new EcrError('invalid-argument', `"${reference}" is not an image reference: ${why}`);
  if (reference.includes('://')) throw invalid('leave out the scheme (https://)');
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = imageDigestProblem(digest);
    if (problem) throw invalid(problem);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    const problem = imageTagProblem(tag);
    if (problem) throw invalid(problem);
  }
  const problem = repositoryNameProblem(rest);
  if (problem) throw invalid(problem);
  return { registry, repository: rest, tag, digest };
}

// The host forms registryHost produces (and amazon-ecr-credential-helper accepts).
const ECR_HOST_PATTERN = /^([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)$/;

/**
 * Parses an ECR image URI such as `008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/team/app:1.2.3`
 * (tag and/or `@sha256:` digest optional) into account, region, repository, tag and digest.
 * The host must be a private ECR registry host consistent with the region's partition.
 */
export function parseEcrImageUri(uri: string): EcrImageUri {
  const reference = parseImageReference(uri);
  const match = reference.registry === undefined ? null : ECR_HOST_PATTERN.exec(reference.registry);
  const [, accountId, fipsSuffix, region, dnsSuffix] = match ?? [];
  if (
    reference.registry === undefined ||
    accountId === undefined ||
    region === undefined ||
    dnsSuffix === undefined
  ) {
    throw new EcrError(
      'invalid-argument',
      `"${uri}" is not an ECR image URI: expected <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]`,
    );
  }
  const info = regionInfo(region);
  if (info.dnsSuffix !== dnsSuffix) {
    throw new EcrError(
      'invalid-argument',
      `"${uri}" is not an ECR image URI: registries in ${region} end in .${info.dnsSuffix}, not .${dnsSuffix}`,
    );
  }
  const fips = fipsSuffix !== undefined;
  // Validates FIPS availability as well.
  registryHost({ accountId, region, fips });
  return {
    ...reference,
    registry: reference.registry,
    accountId,
    region,
    partition: info.partition,
    fips,
  };
}

/** A private ECR registry host split into its parts (the inverse of registryHost). */
export interface EcrRegistryHost extends RegistryAddress {
  readonly host: string;
  readonly partition: Partition;
  readonly fips: boolean;
}

/**
 * Parses a private ECR registry host such as `008577686731.dkr.ecr.us-gov-west-1.amazonaws.com`, or
 * returns undefined when `host` is not one (a local registry, Docker Hub, a malformed name).
 */
export function parseEcrRegistryHost(host: string): EcrRegistryHost | undefined {
  const [, accountId, fipsSuffix, region, dnsSuffix] = ECR_HOST_PATTERN.exec(host) ?? [];
  if (accountId === undefined || region === undefined || dnsSuffix === undefined) return undefined;
  const info = findRegion(region);
  if (info?.dnsSuffix !== dnsSuffix) return undefined;
  const fips = fipsSuffix !== undefined;
  if (fips && !info.fipsAvailable) return undefined;
  return { host, accountId, region, partition: info.partition, fips };
}

/** `registry/repository[:tag][@digest]`, the inverse of parseImageReference. */
export function formatImageUri(image: {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string | undefined;
  readonly digest?: string | undefined;
}): string {
  return (
    `${image.registry}/${image.repository}` +
    (image.tag === undefined ? '' : `:${image.tag}`) +
    (image.digest === undefined ? '' : `@${image.digest}`)
  );
}
