import {
  AWS_CREDENTIAL_ERRORS,
  AWS_NETWORK_CODES,
  AWS_THROTTLING_ERRORS,
  awsErrorShape,
} from '../kit/aws-errors.js';
import { EcrError, sanitizeAwsMessage } from './errors.js';
import { registryHost } from './registry.js';

/** What a call was about, so its error can name the repository, registry and region. */
export interface EcrCallContext {
  /** ECR API operation, e.g. `PutImage`. */
  readonly operation: string;
  readonly region: string;
  /** The account whose registry was addressed, when the caller knows it. */
  readonly registryId?: string | undefined;
  readonly repository?: string | undefined;
  readonly tag?: string | undefined;
}

function registryText(context: EcrCallContext, awsMessage: string): string {
  // ECR names the registry in its message ("... in the registry with id '008577686731'").
  const accountId = /registry with id '([0-9]{12})'/.exec(awsMessage)?.[1] ?? context.registryId;
  if (accountId === undefined) return `the credentials' own registry in ${context.region}`;
  try {
    return `registry ${registryHost({ accountId, region: context.region })} (${context.region})`;
  } catch {
    return `registry ${accountId} (${context.region})`;
  }
}

function attemptsText(attempts: number | undefined): string {
  return attempts === undefined || attempts <= 1 ? '' : ` after ${String(attempts)} attempts`;
}

/**
 * Turns whatever the SDK threw into an EcrError with one clear line. Messages never carry credential
 * material: the SDK's messages don't, and what AWS sends back is sanitised on top.
 */
export function toEcrError(error: unknown, context: EcrCallContext): EcrError {
  if (error instanceof EcrError) return error;
  const aws = awsErrorShape(error);
  const awsMessage = sanitizeAwsMessage(aws.message);
  const options = {
    operation: context.operation,
    awsError: aws.name,
    attempts: aws.attempts,
    cause: error,
  };
  const repository = context.repository === undefined ? '' : ` '${context.repository}'`;
  const permission = `ecr:${context.operation}`;

  if (aws.name === 'CredentialsProviderError') {
    return new EcrError(
      'credentials',
      `no AWS credentials for ${permission}: configure them before this step ` +
        `(e.g. aws-actions/configure-aws-credentials): ${awsMessage}`,
      options,
    );
  }
  if (AWS_CREDENTIAL_ERRORS.has(aws.name)) {
    return new EcrError(
      'credentials',
      `AWS rejected the credentials for ${permission} in ${context.region} (${aws.name}): ${awsMessage}`,
      options,
    );
  }
  if (aws.name === 'AccessDeniedException') {
    const denied = /perform: (ecr:[A-Za-z]+)/.exec(awsMessage)?.[1] ?? permission;
    return new EcrError(
      'access-denied',
      `access denied: the AWS credentials lack ${denied}` +
        (context.repository === undefined ? '' : ` on repository '${context.repository}'`) +
        ` in ${context.region}; allow ${denied} in the role's policy`,
      options,
    );
  }
  if (aws.name === 'RepositoryNotFoundException') {
    return new EcrError(
      'repository-not-found',
      `ECR repository${repository} not found in ${registryText(context, awsMessage)}: ` +
        'create it, or check the repository name, account and region',
      options,
    );
  }
  if (aws.name === 'ImageNotFoundException') {
    return new EcrError(
      'image-not-found',
      `image${context.tag === undefined ? '' : ` tag '${context.tag}'`} not found in ECR repository${repository} ` +
        `(${context.region})`,
      options,
    );
  }
  if (aws.name === 'ImageTagAlreadyExistsException') {
    return new EcrError(
      'tag-immutable',
      `tag${context.tag === undefined ? '' : ` '${context.tag}'`} already exists in ECR repository${repository}, ` +
        'whose tags are immutable: use a new tag',
      options,
    );
  }
  if (AWS_THROTTLING_ERRORS.has(aws.name) || aws.status === 429) {
    return new EcrError(
      'throttled',
      `ECR kept throttling ${context.operation}${attemptsText(aws.attempts)} (${aws.name}); try again later`,
      options,
    );
  }
  if (aws.fault === 'server' || (aws.status !== undefined && aws.status >= 500)) {
    return new EcrError(
      'service',
      `ECR ${context.operation} failed with a service error${attemptsText(aws.attempts)} ` +
        `(${aws.name}${aws.status === undefined ? '' : `, HTTP ${String(aws.status)}`}): ${awsMessage}`,
      options,
    );
  }
  if (aws.code !== undefined && AWS_NETWORK_CODES.has(aws.code)) {
    return new EcrError(
      'service',
      `could not reach the ECR API in ${context.region} for ${context.operation}${attemptsText(aws.attempts)}: ` +
        aws.code,
      options,
    );
  }
  return new EcrError(
    'unknown',
    `ECR ${context.operation}${repository} failed (${aws.name}): ${awsMessage}`,
    options,
  );
}
