/** HTTP plumbing shared by the routes: errors, JSON bodies and Link-header pagination. */
import type { IncomingMessage } from 'node:http';

export const DOCS_URL = 'https://docs.github.com/rest';

export type Headers = Record<string, string>;

export interface Reply {
  status: number;
  body: unknown;
  headers?: Headers;
}

/** A GitHub error answer: `{message, documentation_url, ...extra, status: "<code>"}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Headers = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toReply(): Reply {
    return {
      status: this.status,
      body: {
        message: this.message,
        documentation_url: DOCS_URL,
        ...this.extra,
        status: String(this.status),
      },
      headers: this.headers,
    };
  }
}

export function notFound(): ApiError {
  return new ApiError(404, 'Not Found');
}

/** GitHub's wording when a body parameter is missing (no `value`) or has the wrong type. */
export function invalidRequest(field: string, expected?: 'string' | 'boolean', value?: unknown) {
  const detail =
    expected === undefined
      ? `"${field}" wasn't supplied.`
      : `For 'properties/${field}', ${JSON.stringify(value)} is not a ${expected}.`;
  return new ApiError(422, `Invalid request.\n\n${detail}`);
}

/** 422 "Validation Failed" with GitHub's `errors` array. */
export function validationFailed(resource: string, field: string, code: string): ApiError {
  return new ApiError(422, 'Validation Failed', { errors: [{ resource, code, field }] });
}

export type JsonObject = Record<string, unknown>;

export async function readJsonBody(request: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'Problems parsing JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, 'Body should be a JSON object');
  }
  return parsed as JsonObject;
}

export function requiredString(body: JsonObject, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) throw invalidRequest(field);
  if (typeof value !== 'string') throw invalidRequest(field, 'string', value);
  return value;
}

export function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequest(field, 'string', value);
  return value;
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(field, 'boolean', value);
  return value;
}

/** Where a list answer's Link header points: the same path and query with another `page`. */
export interface PageLocation {
  baseUrl: string;
  /** Path exactly as the client sent it (still percent-encoded). */
  rawPath: string;
  query: URLSearchParams;
}

const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed >= 1 ? parsed : undefined;
}

export function pageParams(query: URLSearchParams): { perPage: number; page: number } {
  const perPage = Math.min(positiveInt(query.get('per_page')) ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
  return { perPage, page: positiveInt(query.get('page')) ?? 1 };
}

/** Slices `items` by `per_page`/`page` and builds the RFC 5988 Link header GitHub would send. */
export function paginate<T>(
  items: readonly T[],
  location: PageLocation,
): { items: T[]; headers: Headers } {
  const { perPage, page } = pageParams(location.query);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const pageUrl = (target: number) => {
    const query = new URLSearchParams(location.query);
    query.set('page', String(target));
    return `<${location.baseUrl}${location.rawPath}?${query.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${pageUrl(Math.min(page - 1, lastPage))}; rel="prev"`);
  if (page < lastPage)
    links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`);
  if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);
  const start = (page - 1) * perPage;
  return {
    items: items.slice(start, start + perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}
