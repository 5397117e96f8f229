import type { IncomingHttpHeaders } from 'node:http';

/** The SSM API operations the test server speaks. */
export const SSM_OPERATIONS = ['GetParameter', 'GetParameters', 'DescribeParameters'] as const;

export type SsmOperation = (typeof SSM_OPERATIONS)[number];

export type ParameterType = 'String' | 'StringList' | 'SecureString';

/**
 * An error response sent instead of running the operation:
 * - `throttling`: 400 ThrottlingException "Rate exceeded" (the SDK retries it with backoff, ~1 s base)
 * - `internal-error`: 500 InternalServerError (retried as transient, ~50 ms base)
 * - `unavailable`: 503 ServiceUnavailable with an empty body (retried as transient)
 */
export type SsmFaultKind = 'throttling' | 'internal-error' | 'unavailable';

export interface SsmFault {
  /** Which operation it hits; `*` for any. */
  readonly operation: SsmOperation | '*';
  readonly kind: SsmFaultKind;
  /** How many requests it answers before it is used up. Default 1. */
  readonly times?: number;
  /** Only requests naming this parameter (`Name`, or one of `Names`). */
  readonly name?: string;
}

/** Makes an operation answer AccessDeniedException ("... not authorized to perform: ssm:<Operation> ..."). */
export interface SsmAccessDenial {
  readonly operation: SsmOperation;
  /** Only for this parameter; every parameter when absent. */
  readonly name?: string;
}

/**
 * Makes KMS refuse to decrypt SecureStrings under a key, as SSM reports it when `WithDecryption` is set:
 * - `access-denied`: AccessDeniedException naming `kms:Decrypt` on the key (the caller lacks the grant)
 * - `disabled` / `pending-deletion`: InvalidKeyId naming the key's state
 */
export interface DecryptDenial {
  /** The key (ARN, id or alias as stored with the parameter); every key when absent. */
  readonly keyId?: string;
  readonly kind: 'access-denied' | 'disabled' | 'pending-deletion';
}

export interface SsmParameterSeed {
  readonly name: string;
  readonly value: string;
  /** Default `SecureString`. */
  readonly type?: ParameterType;
  /** SecureString only; default `alias/aws/ssm` (the AWS-managed key). */
  readonly keyId?: string;
  /** Replace an existing parameter (a new version); default false, which throws ParameterAlreadyExists. */
  readonly overwrite?: boolean;
}

export interface SsmParameterRecord {
  readonly name: string;
  readonly arn: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly keyId: string | undefined;
  readonly version: number;
  readonly lastModifiedDate: Date;
}

export interface RecordedSsmRequest {
  /** From `x-amz-target`, e.g. `GetParameter` (or the raw header when it isn't SSM's). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** Every parameter name the request named: `Name`, `Names`, or DescribeParameters' Name filter values. */
  readonly names: readonly string[];
  /** `WithDecryption` as sent (undefined when absent). */
  readonly withDecryption: boolean | undefined;
  /** From the SigV4 `Credential=` scope; the secret key never reaches a server. */
  readonly accessKeyId: string | undefined;
  readonly signingRegion: string | undefined;
  /** `amz-sdk-request` header, e.g. `attempt=2; max=3`. */
  readonly sdkRequest: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly status: number;
  /** `__type` of the error answered, if any. */
  readonly errorType: string | undefined;
}

export interface SsmServerOptions {
  readonly accountId?: string;
  readonly region?: string;
  /** The caller's identity named in AccessDeniedException messages. */
  readonly callerArn?: string;
  /**
   * At most this many parameters per DescribeParameters page, whatever MaxResults asks: AWS filters
   * after paging, so a filtered page can be short and still carry a NextToken.
   */
  readonly describePageLimit?: number;
}

export interface SsmTestServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SSM` or the client's `endpoint`. */
  readonly endpoint: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** Every request answered so far, in order. */
  readonly requests: readonly RecordedSsmRequest[];
  requestsFor(operation: SsmOperation): RecordedSsmRequest[];
  /** Seeds a parameter (PutParameter's effect); returns its record. */
  putParameter(seed: SsmParameterSeed): SsmParameterRecord;
  deleteParameter(name: string): void;
  /** The ARN SSM gives a parameter of this name in the server's account and region. */
  parameterArn(name: string): string;
  /** The ARN of a KMS key id or alias in the server's account and region. */
  keyArn(keyId: string): string;
  denyAccess(denial: SsmAccessDenial): void;
  denyDecrypt(denial: DecryptDenial): void;
  /** Lifts every access and decrypt denial. */
  allowAll(): void;
  injectFault(fault: SsmFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}
