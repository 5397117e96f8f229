/**
 * Fine-grained token permissions, enforced only for tokens a test registered with
 * `repo.setTokenPermissions`; any other token may do everything (the behaviour before this).
 */
import { ApiError } from './http.js';
import type { PermissionLevel, PermissionName, TokenPermissions } from './types.js';

/** What one endpoint accepts: any one of the sets, each set needing all of its permissions. */
export type AcceptedPermissions = readonly Partial<Record<PermissionName, 'read' | 'write'>>[];

const RANK: Record<PermissionLevel, number> = { none: 0, read: 1, write: 2 };

export const METADATA_READ: AcceptedPermissions = [{ metadata: 'read' }];

export function accepts(
  name: PermissionName,
  level: 'read' | 'write',
  ...alternatives: PermissionName[]
): AcceptedPermissions {
  return [name, ...alternatives].map((permission) => ({ [permission]: level }));
}

/** GitHub's `x-accepted-github-permissions` value: sets separated by `; `, entries by `,`. */
export function acceptedHeader(accepted: AcceptedPermissions): string {
  return accepted
    .map((set) =>
      Object.entries(set)
        .map(([name, level]) => `${name}=${level}`)
        .join(','),
    )
    .join('; ');
}

function levelOf(granted: TokenPermissions, name: PermissionName): PermissionLevel {
  // Every installation token can read metadata.
  if (name === 'metadata') return granted.metadata ?? 'read';
  return granted[name] ?? 'none';
}

export function isAllowed(granted: TokenPermissions, accepted: AcceptedPermissions): boolean {
  return accepted.some((set) =>
    Object.entries(set).every(
      ([name, level]) => RANK[levelOf(granted, name as PermissionName)] >= RANK[level],
    ),
  );
}

/** 403 as GitHub answers an installation token that lacks the permission. */
export function forbidden(accepted: AcceptedPermissions): ApiError {
  return new ApiError(
    403,
    'Resource not accessible by integration',
    {},
    { 'x-accepted-github-permissions': acceptedHeader(accepted) },
  );
}

/** The token of an `Authorization: token <t>` or `Bearer <t>` header. */
export function tokenOf(authorization: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  return match?.[1];
}
