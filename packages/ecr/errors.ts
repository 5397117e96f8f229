import { GitOpsError } from '../kit/errors.js';

/**
 * What went wrong talking to ECR, as one line that says what to do about it.
 *
 * `kind` lets callers branch (e.g. treat `image-not-found` as "not built yet"); the message is for people.
 */
export type EcrErrorKind =
  | 'invalid-argument'
  | 'repository-not-found'
  | 'image-not-found'
  | 'access-denied'
  | 'tag-immutable'
  | 'throttled'
  | 'credentials'
  | 'service'
  | 'unknown';

export interface EcrErrorOptions {
  /** The ECR API operation that failed, e.g. `PutImage`. */
  readonly operation?: string;
  /** The AWS error name, e.g. `RepositoryNotFoundException`. */
  readonly awsError?: string;
  /** How many attempts the SDK made (retries included). */
  readonly attempts?: number;
  readonly cause?: unknown;
}

export class EcrError extends GitOpsError {
  override name = 'EcrError';
  readonly kind: EcrErrorKind;
  readonly operation: string | undefined;
  readonly awsError: string | undefined;
  readonly attempts: number | undefined;

  constructor(kind: EcrErrorKind, message: string, options: EcrErrorOptions = {}) {
    super(oneLine(message), { cause: options.cause });
    this.kind = kind;
    this.operation = options.operation;
    this.awsError = options.awsError;
    this.attempts = options.attempts;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

// Access key ids are not secret, but they identify a principal; signatures and tokens would be.
// AWS messages should contain none of them; this is a second line of defence.
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g,
  /Signature=[0-9a-f]+/gi,
  /Credential=[^\s,]+/gi,
  /X-Amz-Security-Token=[^\s&]+/gi,
];

/** Text from AWS made safe for a log line: one line, no credential material. */
export function sanitizeAwsMessage(text: string): string {
  return CREDENTIAL_PATTERNS.reduce(
    (result, pattern) => result.replace(pattern, '[redacted]'),
    oneLine(text),
  );
}
