/**
 * The check's SSM port over `@aws-sdk/client-ssm`: DescribeParameters filtered by exact names, every
 * page of it. DescribeParameters returns metadata (name, type, version, dates), never a value, so
 * nothing secret reaches this process and no KMS key is used.
 */
import { DescribeParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { errorMessage, GitOpsError, type Logger } from '../kit/index.js';
import { createSsmClient } from '../ssm/index.js';
import type { ParameterLookup } from './check.js';

/** The IAM action the check needs (it takes no resource-level conditions: grant it on `*`). */
export const DESCRIBE_ACTION = 'ssm:DescribeParameters';
/** A server that keeps answering with a NextToken must not keep the release waiting. */
const MAX_PAGES = 100;

export interface ParameterLookupOptions {
  readonly region: string;
  readonly logger: Logger;
  /** The input that turns the check off, named in the fixes. */
  readonly modeInput: string;
  /** Leave unset in production: the SDK honours `AWS_ENDPOINT_URL_SSM` / `AWS_ENDPOINT_URL`. */
  readonly endpoint?: string | undefined;
  readonly maxAttempts?: number | undefined;
}

function shape(error: unknown): { name: string; attempts: number | undefined } {
  if (typeof error !== 'object' || error === null) return { name: '', attempts: undefined };
  const name = 'name' in error && typeof error.name === 'string' ? error.name : '';
  const metadata = '$metadata' in error ? (error.$metadata as { attempts?: unknown }) : undefined;
  const attempts = typeof metadata?.attempts === 'number' ? metadata.attempts : undefined;
  return { name, attempts };
}

/** One line naming what went wrong and the fix; the action to grant when it was a denial. */
export function parameterLookupError(
  error: unknown,
  region: string,
  modeInput: string,
): GitOpsError {
  const { name, attempts } = shape(error);
  const detail = errorMessage(error).replace(/\s*\n\s*/g, ' ');
  const off = `or set ${modeInput}: off`;
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new GitOpsError(
      `SSM refused DescribeParameters in ${region} (${detail}): grant the job's role ${DESCRIBE_ACTION} on resource "*" (metadata only, no values), ${off}`,
      { cause: error },
    );
  }
  if (name === 'CredentialsProviderError') {
    return new GitOpsError(
      `no AWS credentials to look up the SSM parameters ExternalSecrets name (${detail}): run aws-actions/configure-aws-credentials before this step, ${off}`,
      { cause: error },
    );
  }
  if (
    name === 'ThrottlingException' ||
    name === 'TooManyRequestsException' ||
    name === 'ThrottledException'
  ) {
    return new GitOpsError(
      `SSM throttled DescribeParameters in ${region}${attempts ? ` ${String(attempts)} times` : ''}: re-run the job later, ${off}`,
      { cause: error },
    );
  }
  return new GitOpsError(
    `looking up SSM parameters in ${region} failed: ${name ? `${name}: ` : ''}${detail}`,
    { cause: error },
  );
}

/** A lookup over an SSM client already made (the caller owns its region and credentials). */
export function describeParametersLookup(
  client: SSMClient,
  options: Omit<ParameterLookupOptions, 'endpoint' | 'maxAttempts'>,
): ParameterLookup {
  return {
    async existingNames(names) {
      const wanted = new Set(names);
      const found = new Set<string>();
      let nextToken: string | undefined;
      let pages = 0;
      do {
        pages += 1;
        if (pages > MAX_PAGES) {
          throw new GitOpsError(
            `SSM DescribeParameters in ${options.region} gave more than ${String(MAX_PAGES)} pages for ${String(names.length)} names: re-run later, or set ${options.modeInput}: off`,
          );
        }
        let output;
        try {
          output = await client.send(
            new DescribeParametersCommand({
              ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [...names] }],
              MaxResults: 50,
              ...(nextToken === undefined ? {} : { NextToken: nextToken }),
            }),
          );
        } catch (error: unknown) {
          throw parameterLookupError(error, options.region, options.modeInput);
        }
        const attempts = output.$metadata.attempts ?? 1;
        if (attempts > 1) {
          options.logger.info(
            `SSM DescribeParameters succeeded after ${String(attempts)} attempts`,
          );
        }
        for (const parameter of output.Parameters ?? []) {
          // Only names asked for count: a server answering more must not make one exist.
          if (parameter.Name !== undefined && wanted.has(parameter.Name)) found.add(parameter.Name);
        }
        // AWS may answer a page with no parameters and a token: only a missing token ends the list.
        nextToken = output.NextToken === '' ? undefined : output.NextToken;
      } while (nextToken !== undefined);
      return found;
    },
  };
}

/** A lookup with its own client for `region` (the suite's one SSM client factory, packages/ssm). */
export function createParameterLookup(options: ParameterLookupOptions): ParameterLookup {
  let client: SSMClient;
  try {
    ({ sdk: client } = createSsmClient({
      region: options.region,
      endpoint: options.endpoint,
      maxAttempts: options.maxAttempts,
    }));
  } catch (error: unknown) {
    // A region from an ExternalSecret or its store, not from an input.
    throw new GitOpsError(
      `cannot look up SSM parameters in '${options.region}': ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return describeParametersLookup(client, options);
}
