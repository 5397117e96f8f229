/** A docker command failed; the message is one line naming the command and docker's own reason. */
export class DockerError extends Error {
  override name = 'DockerError';
  /** `docker push`, `docker login`, ... (never the full argv). */
  readonly command: string;
  readonly exitCode: number | undefined;
  /** The failure looked like a registry or network hiccup that a retry may get past. */
  readonly transient: boolean;
  readonly attempts: number;

  constructor(
    command: string,
    message: string,
    options: { exitCode?: number; transient?: boolean; attempts?: number; cause?: unknown } = {},
  ) {
    super(
      message.replace(/\s*\n\s*/g, ' ').trim(),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.command = command;
    this.exitCode = options.exitCode;
    this.transient = options.transient ?? false;
    this.attempts = options.attempts ?? 1;
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
