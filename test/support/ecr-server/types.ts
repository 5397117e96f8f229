import type { IncomingHttpHeaders } from 'node:http';
import type { RegistryCredentials } from '../docker/registry-api.js';

/** The ECR API operations the test server speaks. */
export const ECR_OPERATIONS = [
  'GetAuthorizationToken',
  'CreateRepository',
  'DescribeRepositories',
  'ListImages',
  'DescribeImages',
  'BatchGetImage',
  'PutImage',
  'BatchDeleteImage',
] as const;

export type EcrOperation = (typeof ECR_OPERATIONS)[number];

export type TagMutability =
  'MUTABLE' | 'IMMUTABLE' | 'MUTABLE_WITH_EXCLUSION' | 'IMMUTABLE_WITH_EXCLUSION';

/**
 * An error response sent instead of running the operation:
 * - `throttling`: 400 ThrottlingException "Rate exceeded" (the SDK retries it with backoff, ~1 s base)
 * - `limit-exceeded`: 400 LimitExceededException (also retried as throttling by the SDK)
 * - `server-error`: 500 ServerException (retried as transient, ~50 ms base)
 * - `unavailable`: 503 ServiceUnavailableException (retried as transient)
 */
export type EcrFaultKind = 'throttling' | 'limit-exceeded' | 'server-error' | 'unavailable';

export interface EcrFault {
  /** Which operation it hits; `*` for any. */
  readonly operation: EcrOperation | '*';
  readonly kind: EcrFaultKind;
  /** How many requests it answers before it is used up. Default 1. */
  readonly times?: number;
  /** Only requests naming this repository (`repositoryName`). */
  readonly repository?: string;
}

/** Makes an operation answer AccessDeniedException ("... not authorized to perform: ecr:<Operation> ..."). */
export interface AccessDenial {
  readonly operation: EcrOperation;
  /** Only for this repository; every repository when absent. */
  readonly repository?: string;
}

export interface RecordedEcrRequest {
  /** From `x-amz-target`, e.g. `ListImages` (or the raw header when it isn't ECR's). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** From the SigV4 `Credential=` scope; the secret key never reaches a server. */
  readonly accessKeyId: string | undefined;
  readonly signingRegion: string | undefined;
  /** `amz-sdk-request` header, e.g. `attempt=2; max=5`. */
  readonly sdkRequest: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly status: number;
  /** `__type` of the error answered, if any. */
  readonly errorType: string | undefined;
}

export interface EcrRepositoryRecord {
  readonly repositoryName: string;
  readonly repositoryArn: string;
  readonly registryId: string;
  /** `<registry host>/<name>`: the local registry, the same host as GetAuthorizationToken's proxyEndpoint. */
  readonly repositoryUri: string;
  readonly createdAt: Date;
  imageTagMutability: TagMutability;
}

export interface EcrServerOptions {
  /** The real registry that stores the images (docker-registry from test/support/docker). */
  readonly registry: RegistryCredentials;
  /**
   * The registry password GetAuthorizationToken hands out, asked at each call; default
   * `registry.password`. For a front that issues short-lived tokens of its own (the faulty proxy's
   * `issueTokens`), so a fresh GetAuthorizationToken after an expiry gives a working one, as ECR's does.
   */
  readonly authorizationPassword?: () => string;
  readonly accountId?: string;
  readonly region?: string;
}

export interface EcrTestServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_ECR` or the client's `endpoint`. */
  readonly endpoint: string;
  readonly accountId: string;
  readonly region: string;
  /** The registry host every repository URI and the proxy endpoint name: `127.0.0.1:PORT`. */
  readonly registryHost: string;
  /** Every request answered so far, in order. */
  readonly requests: readonly RecordedEcrRequest[];
  requestsFor(operation: EcrOperation): RecordedEcrRequest[];
  /** Creates a repository directly (as CreateRepository would); returns its record. */
  createRepository(
    name: string,
    options?: { readonly imageTagMutability?: TagMutability },
  ): EcrRepositoryRecord;
  denyAccess(denial: AccessDenial): void;
  /** Lifts every denial. */
  allowAll(): void;
  injectFault(fault: EcrFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}
