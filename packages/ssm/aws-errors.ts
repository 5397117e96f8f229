import {
  AWS_CREDENTIAL_ERRORS,
  AWS_NETWORK_CODES,
  AWS_THROTTLING_ERRORS,
  awsErrorShape,
} from '../kit/aws-errors.js';
import { sanitizeAwsMessage } from '../ecr/errors.js';
import { SsmError } from './errors.js';

/** What a call was about, so its error can name the parameter, the region and the input. */
export interface SsmCallContext {
  /** SSM API operation, e.g. `GetParameter`. */
  readonly operation: string;
  readonly region: string;
  /** The parameter's name or ARN as given; its ARN when the caller knows it. */
  readonly parameter?: string | undefined;
  readonly parameterArn?: string | undefined;
  /** The input naming the parameter, e.g. `token-parameter`. */
  readonly input?: string | undefined;
  /** Whether the call asked for decryption (then KMS may be what refused). */
  readonly withDecryption?: boolean | undefined;
}

function attemptsText(attempts: number | undefined): string {
  return attempts === undefined || attempts <= 1 ? '' : ` after ${String(attempts)} attempts`;
}

/**
 * Turns whatever the SDK threw into an SsmError with one line naming the parameter and, for a denial,
 * the IAM action to grant on which resource (`ssm:GetParameter` on the parameter, `kms:Decrypt` on
 * its key). AWS text is sanitised; it never holds a parameter's value.
 */
export function toSsmError(error: unknown, context: SsmCallContext): SsmError {
  if (error instanceof SsmError) return error;
  const aws = awsErrorShape(error);
  const awsMessage = sanitizeAwsMessage(aws.message);
  const options = {
    input: context.input,
    parameter: context.parameter,
    operation: context.operation,
    awsError: aws.name,
    attempts: aws.attempts,
    cause: error,
  };
  const named =
    context.parameter === undefined ? 'the parameter' : `parameter ${context.parameter}`;
  // AWS names the exact resource it refused; the caller's ARN or name otherwise.
  const resource =
    /on resource: (\S+)/.exec(awsMessage)?.[1] ?? context.parameterArn ?? context.parameter ?? '*';
  const permission = `ssm:${context.operation}`;
  // KMS refusals come back through SSM: AccessDeniedException naming kms:Decrypt, or InvalidKeyId.
  const keyArn = /(arn:[a-z-]+:kms:[^\s]+)/.exec(awsMessage)?.[1]?.replace(/[.,;]$/, '');

  if (aws.name === 'CredentialsProviderError') {
    return new SsmError(
      'credentials',
      `no AWS credentials to read ${named} (${permission}): configure them before this step ` +
        `(e.g. aws-actions/configure-aws-credentials): ${awsMessage}`,
      options,
    );
  }
  if (AWS_CREDENTIAL_ERRORS.has(aws.name)) {
    return new SsmError(
      'credentials',
      `AWS rejected the credentials for ${permission} on ${named} in ${context.region} (${aws.name}): ${awsMessage}`,
      options,
    );
  }
  if (aws.name === 'AccessDeniedException' && awsMessage.includes('kms:Decrypt')) {
    return new SsmError(
      'kms-denied',
      `cannot decrypt ${named}: the AWS credentials lack kms:Decrypt on its key ` +
        `${keyArn ?? '(the key named in the parameter)'}; allow kms:Decrypt on that key in the role's policy ` +
        '(and the key policy)',
      options,
    );
  }
  if (aws.name === 'AccessDeniedException') {
    const denied = /perform: (ssm:[A-Za-z]+)/.exec(awsMessage)?.[1] ?? permission;
    return new SsmError(
      'access-denied',
      `access denied reading ${named}: the AWS credentials lack ${denied} on ${resource}; ` +
        `allow ${denied} on it in the role's policy`,
      options,
    );
  }
  if (aws.name === 'InvalidKeyId') {
    return new SsmError(
      'kms-key-unusable',
      `cannot decrypt ${named}: its KMS key is unusable (${awsMessage.replace(/ \(Service: .*$/, '') || 'InvalidKeyId'}); ` +
        'enable the key or store the parameter again under a usable key',
      options,
    );
  }
  if (aws.name === 'ParameterNotFound' || aws.name === 'ParameterVersionNotFound') {
    return new SsmError(
      'parameter-not-found',
      `${named} not found in Parameter Store in ${context.region}: check the name (it starts with / ` +
        'when it has a path) and the region, or create it as a SecureString',
      options,
    );
  }
  if (AWS_THROTTLING_ERRORS.has(aws.name) || aws.status === 429) {
    return new SsmError(
      'throttled',
      `Parameter Store kept throttling ${context.operation} of ${named}${attemptsText(aws.attempts)} ` +
        `(${aws.name}); try again later`,
      options,
    );
  }
  if (aws.fault === 'server' || (aws.status !== undefined && aws.status >= 500)) {
    return new SsmError(
      'service',
      `Parameter Store ${context.operation} of ${named} failed with a service error${attemptsText(aws.attempts)} ` +
        `(${aws.name}${aws.status === undefined ? '' : `, HTTP ${String(aws.status)}`})` +
        (awsMessage === '' || awsMessage === 'UnknownError' ? '' : `: ${awsMessage}`),
      options,
    );
  }
  if (aws.code !== undefined && AWS_NETWORK_CODES.has(aws.code)) {
    return new SsmError(
      'service',
      `could not reach Parameter Store in ${context.region} to read ${named}${attemptsText(aws.attempts)}: ${aws.code}`,
      options,
    );
  }
  return new SsmError(
    'unknown',
    `Parameter Store ${context.operation} of ${named} failed (${aws.name}): ${awsMessage}`,
    options,
  );
}
