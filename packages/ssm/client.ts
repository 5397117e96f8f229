import { SSMClient } from '@aws-sdk/client-ssm';
import { regionInfo, regionProblem, type Partition } from '../ecr/registry.js';
import { SsmError } from './errors.js';

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface SsmClientOptions {
  readonly region: string;
  /**
   * SSM API endpoint, e.g. `http://127.0.0.1:4583`. Leave unset in production: the SDK then picks the
   * regional endpoint and honours AWS's own `AWS_ENDPOINT_URL_SSM` / `AWS_ENDPOINT_URL` variables.
   */
  readonly endpoint?: string | undefined;
  /** Attempts per API call, throttling and 5xx retries included (SDK standard retry strategy). Default 5. */
  readonly maxAttempts?: number | undefined;
  /** Use the FIPS endpoint; can't be combined with `endpoint`. */
  readonly fips?: boolean | undefined;
}

/** Parameter Store in one region: the SDK client and where it points, for every SSM read of the suite. */
export interface SsmClient {
  readonly sdk: SSMClient;
  readonly region: string;
  readonly partition: Partition;
}

/**
 * An SSM client with the SDK's standard retry strategy (throttling and 5xx retried with backoff, at
 * most `maxAttempts` attempts, default 5). Credentials come from the SDK's default chain (environment,
 * web identity, shared config): nothing here takes keys. Validates the region first.
 */
export function createSsmClient(options: SsmClientOptions): SsmClient {
  const problem = regionProblem(options.region);
  if (problem !== undefined) throw new SsmError('invalid-argument', problem);
  const { partition } = regionInfo(options.region);
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10) {
    throw new SsmError(
      'invalid-argument',
      `maxAttempts must be 1 to 10, got ${String(maxAttempts)}`,
    );
  }
  const sdk = new SSMClient({
    region: options.region,
    maxAttempts,
    retryMode: 'standard',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.fips === true ? { useFipsEndpoint: true } : {}),
  });
  return { sdk, region: options.region, partition };
}
