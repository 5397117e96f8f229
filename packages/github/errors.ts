/**
 * Turns GitHub's refusals into one line that says what failed, where, and how to fix it
 * (the suite's `<what> (<where>): <how to fix>` shape; the action adds `<action> failed:`).
 */
import { GitOpsError } from '../kit/errors.js';
import { httpStatus } from './client.js';

/** What was being done when GitHub refused, for the message. */
export interface GitHubAttempt {
  /** Infinitive phrase: `create the branch release/v1`, `open a pull request`. */
  readonly action: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** The workflow permission the call needs, when GitHub's header does not say it. */
  readonly permission?: string;
  /** What a 404 means here, e.g. `the branch main`; the repository itself is always named. */
  readonly missing?: string;
}

/** A GitHub API refusal explained; `cause` keeps Octokit's error. */
export class GitHubApiError extends GitOpsError {
  override name = 'GitHubApiError';

  constructor(
    message: string,
    readonly status: number | undefined,
    /** The permission the token lacks (`contents: write`), for 403s. */
    readonly missingPermission: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function responseOf(error: unknown): {
  data: Record<string, unknown>;
  headers: Record<string, unknown>;
} {
  const response = record(record(error).response);
  return { data: record(response.data), headers: record(response.headers) };
}

/**
 * Whether GitHub's 422 `errors` array holds `code` for `field` (e.g. `tag_name` `already_exists`):
 * the structured answer, so no caller has to read GitHub's message text.
 */
export function hasValidationError(error: unknown, field: string, code: string): boolean {
  const { errors } = responseOf(error).data;
  return (
    Array.isArray(errors) &&
    errors.some((item: unknown) => {
      const detail = record(item);
      return detail.field === field && detail.code === code;
    })
  );
}

/** GitHub's own message plus the messages of its `errors` array, if any. */
export function gitHubMessage(error: unknown): string {
  const { data } = responseOf(error);
  const message = typeof data.message === 'string' ? data.message : undefined;
  const details = Array.isArray(data.errors)
    ? data.errors
        .map((item: unknown) => {
          const detail = record(item);
          if (typeof detail.message === 'string') return detail.message;
          if (typeof detail.field === 'string' && typeof detail.code === 'string') {
            return `${detail.field} ${detail.code}`;
          }
          return undefined;
        })
        .filter((text) => text !== undefined)
    : [];
  if (message === undefined) return error instanceof Error ? error.message : String(error);
  return details.length === 0 ? message : `${message}: ${details.join('; ')}`;
}

/**
 * The permissions GitHub's `x-accepted-github-permissions` header names, in workflow syntax:
 * `contents=write` -> `contents: write`; alternatives (`;`) joined with "or", sets (`,`) with "and".
 */
export function acceptedPermissions(error: unknown): string | undefined {
  const header = responseOf(error).headers['x-accepted-github-permissions'];
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  return header
    .split(';')
    .map((set) =>
      set
        .split(',')
        .map((entry) => {
          const [name = '', level = ''] = entry.trim().split('=');
          return `${name.replace(/_/g, '-')}: ${level}`;
        })
        .join(' and '),
    )
    .join(' or ');
}

function isRateLimit(error: unknown): boolean {
  const { headers } = responseOf(error);
  return headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(gitHubMessage(error));
}

/** True for GitHub's "the token may not do this" answer (403 that is not a rate limit). */
export function isForbidden(error: unknown): boolean {
  return httpStatus(error) === 403 && !isRateLimit(error);
}

/** The clear error for a failed call; anything that is not an HTTP error is returned unchanged. */
export function explainGitHubError(error: unknown, attempt: GitHubAttempt): unknown {
  const status = httpStatus(error);
  if (status === undefined || error instanceof GitHubApiError) return error;
  const where = `(${attempt.repository})`;
  const said = gitHubMessage(error);
  if (isForbidden(error)) {
    const permission = acceptedPermissions(error) ?? attempt.permission;
    const lacks =
      permission === undefined
        ? 'it lacks a permission this needs'
        : `it lacks the "${permission}" permission`;
    const fix =
      permission === undefined
        ? 'check the permissions of the workflow job and of the token'
        : `grant "${permission}" in the job's "permissions:" block, or use a token that has it`;
    return new GitHubApiError(
      `the token may not ${attempt.action} ${where}: ${lacks} (GitHub said: ${said}); ${fix}`,
      status,
      permission,
      { cause: error },
    );
  }
  if (status === 404) {
    const target = attempt.missing === undefined ? '' : ` or ${attempt.missing}`;
    return new GitHubApiError(
      `could not ${attempt.action} ${where}: the repository${target} was not found, or the token cannot see it (GitHub said: ${said}); check the names and the token's repository access`,
      status,
      undefined,
      { cause: error },
    );
  }
  if (status === 422) {
    return new GitHubApiError(
      `GitHub refused to ${attempt.action} ${where}: ${said}`,
      status,
      undefined,
      { cause: error },
    );
  }
  return new GitHubApiError(
    `could not ${attempt.action} ${where}: GitHub answered ${String(status)} (${said})`,
    status,
    undefined,
    { cause: error },
  );
}

/** Runs one GitHub call; a refusal becomes the explained error. */
export async function explained<T>(attempt: GitHubAttempt, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error: unknown) {
    throw explainGitHubError(error, attempt);
  }
}
