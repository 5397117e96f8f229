/**
 * What every AWS SDK v3 client's errors share (ECR, SSM): their shape and the names that mean bad
 * credentials, throttling or no network. Each service maps them to its own one-line errors.
 */
export interface AwsErrorShape {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly attempts: number | undefined;
  readonly fault: string | undefined;
  readonly code: string | undefined;
}

function field(value: object, key: string): unknown {
  return (value as Record<string, unknown>)[key];
}

/** The fields an AWS SDK v3 error carries, whatever it is (a service error, a network error). */
export function awsErrorShape(error: unknown): AwsErrorShape {
  if (typeof error !== 'object' || error === null) {
    return {
      name: 'Error',
      message: String(error),
      status: undefined,
      attempts: undefined,
      fault: undefined,
      code: undefined,
    };
  }
  const metadata = field(error, '$metadata');
  const meta = typeof metadata === 'object' && metadata !== null ? metadata : {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : undefined;
  const count = (value: unknown): number | undefined =>
    typeof value === 'number' ? value : undefined;
  return {
    name: text(field(error, 'name')) ?? 'Error',
    message: text(field(error, 'message')) ?? '',
    status: count(field(meta, 'httpStatusCode')),
    attempts: count(field(meta, 'attempts')),
    fault: text(field(error, '$fault')),
    code: text(field(error, 'code')),
  };
}

/** Error names that mean the credentials (not the permissions) are wrong or expired. */
export const AWS_CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);

export const AWS_THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/** Node error codes of a request that never reached AWS. */
export const AWS_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);
