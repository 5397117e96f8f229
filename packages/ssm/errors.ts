import { GitOpsError } from '../kit/errors.js';
import { sanitizeAwsMessage } from '../ecr/errors.js';

/**
 * What went wrong reading Parameter Store, as one line naming the parameter and what to grant or fix.
 * `kind` lets callers branch; the message is for people.
 */
export type SsmErrorKind =
  | 'invalid-argument'
  | 'parameter-not-found'
  | 'access-denied'
  | 'kms-denied'
  | 'kms-key-unusable'
  | 'wrong-type'
  | 'empty-value'
  | 'throttled'
  | 'credentials'
  | 'service'
  | 'unknown';

export interface SsmErrorOptions {
  /** The input that named the parameter, e.g. `token-parameter`: the message then starts with it. */
  readonly input?: string | undefined;
  /** The parameter's name (or ARN) as given. */
  readonly parameter?: string | undefined;
  /** The SSM API operation that failed, e.g. `GetParameter`. */
  readonly operation?: string | undefined;
  /** The AWS error name, e.g. `ParameterNotFound`. */
  readonly awsError?: string | undefined;
  /** How many attempts the SDK made (retries included). */
  readonly attempts?: number | undefined;
  readonly cause?: unknown;
}

export class SsmError extends GitOpsError {
  override name = 'SsmError';
  readonly kind: SsmErrorKind;
  readonly parameter: string | undefined;
  readonly operation: string | undefined;
  readonly awsError: string | undefined;
  readonly attempts: number | undefined;

  constructor(kind: SsmErrorKind, problem: string, options: SsmErrorOptions = {}) {
    super(sanitizeAwsMessage(problem), {
      ...(options.input === undefined ? {} : { input: options.input }),
      cause: options.cause,
    });
    this.kind = kind;
    this.parameter = options.parameter;
    this.operation = options.operation;
    this.awsError = options.awsError;
    this.attempts = options.attempts;
  }
}
