import { GitOpsError } from '../kit/errors.js';

/**
 * What a failure says beyond "it failed": `credentials-rejected` (the registry refused the login, e.g.
 * an ECR token that expired mid-push: a fresh one may get through), `registry-full` (the registry has no
 * space left: retrying won't help).
 */
export type DockerFailureKind = 'credentials-rejected' | 'registry-full';

/** A docker command failed; the message is one line naming the command and docker's own reason. */
export class DockerError extends GitOpsError {
  override name = 'DockerError';
  /** `docker push`, `docker login`, ... (never the full argv). */
  readonly command: string;
  readonly exitCode: number | undefined;
  /** The failure looked like a registry or network hiccup that a retry may get past. */
  readonly transient: boolean;
  readonly attempts: number;
  readonly kind: DockerFailureKind | undefined;

  constructor(
    command: string,
    message: string,
    options: {
      exitCode?: number;
      transient?: boolean;
      attempts?: number;
      kind?: DockerFailureKind;
      cause?: unknown;
    } = {},
  ) {
    super(message.replace(/\s*\n\s*/g, ' ').trim(), { cause: options.cause });
    this.command = command;
    this.exitCode = options.exitCode;
    this.transient = options.transient ?? false;
    this.attempts = options.attempts ?? 1;
    this.kind = options.kind;
  }
}

// What docker prints when a registry or the network failed in passing (5xx, resets, timeouts, 429).
const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /unexpected HTTP status: 5[0-9][0-9]/i,
  /\b50[0234] (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i,
  /toomanyrequests|429 Too Many Requests/i,
  /connection reset by peer/i,
  /connection refused/i,
  /broken pipe/i,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /unexpected EOF/i,
  /net\/http: request canceled/i,
];

export function isTransientFailure(output: string): boolean {
  return TRANSIENT_PATTERNS.some((pattern) => pattern.test(output));
}

/**
 * The registry refused the credentials: ECR's expired token ("denied: Your authorization token has
 * expired. Reauthenticate and try again."), a 401 ("unauthorized: authentication required") or no login
 * at all ("no basic auth credentials"). Not "denied: requested access to the resource is denied", which
 * is a missing permission that a new token won't fix.
 */
export function isCredentialsRejected(output: string): boolean {
  return /authorization token has expired|\bunauthorized: |no basic auth credentials/i.test(output);
}

/**
 * The registry is out of storage: HTTP 507 Insufficient Storage, or the disk error itself where it
 * reaches docker (Distribution answers a full disk with a 500 whose body docker discards).
 */
export function isRegistryFull(output: string): boolean {
  return /\b507 Insufficient Storage\b|no space left on device|disk quota exceeded/i.test(output);
}

/** The engine's own layer-upload retries ("<layer>: Retrying in 5 seconds"), shown in push output. */
export function engineRetried(output: string): boolean {
  return /: Retrying in [0-9]+ seconds?$/m.test(output);
}

/** The line of docker's output that says what went wrong (the last error-looking line, else the last line). */
export function failureReason(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const errorLine = [...lines]
    .reverse()
    .find((line) => /\berror\b|failed|denied|unauthorized|invalid|not found/i.test(line));
  return errorLine ?? lines.at(-1) ?? 'no output';
}
