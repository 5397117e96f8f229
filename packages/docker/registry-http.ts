/**
 * The one registry read the docker CLI can't do: an image's config blob (its labels), straight from the
 * registry's HTTP API (`GET /v2/<name>/blobs/<digest>`) with the same basic credentials `docker login`
 * uses. ECR answers a blob GET with a redirect to a pre-signed S3 URL; fetch follows it and drops the
 * Authorization header on the way (a cross-origin redirect), as S3 requires.
 */
import { createHash } from 'node:crypto';

export interface ImageConfigRequest {
  /** `https://<registry host>` (ECR's proxyEndpoint), or `http://127.0.0.1:PORT` for a local registry. */
  readonly baseUrl: string;
  readonly repository: string;
  /** `config.digest` of the manifest: the blob is checked against it. */
  readonly configDigest: string;
  readonly username: string;
  /** SECRET: sent only in the Authorization header. */
  readonly password: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** An image config's `config.Labels`; throws when the blob can't be read or isn't the digest asked for. */
export async function readImageLabels(
  request: ImageConfigRequest,
): Promise<Readonly<Record<string, string>>> {
  const url = `${request.baseUrl.replace(/\/+$/, '')}/v2/${request.repository}/blobs/${request.configDigest}`;
  const authorization = `Basic ${Buffer.from(`${request.username}:${request.password}`).toString('base64')}`;
  const response = await (request.fetch ?? fetch)(url, {
    headers: { authorization },
    redirect: 'follow',
    signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`GET ${url} answered ${String(response.status)} ${response.statusText}`);
  }
  const body = Buffer.from(await response.arrayBuffer());
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  if (digest !== request.configDigest) {
    throw new Error(`the image config from ${url} has digest ${digest}`);
  }
  const parsed = JSON.parse(body.toString('utf8')) as { config?: { Labels?: unknown } };
  const labels = parsed.config?.Labels;
  const result: Record<string, string> = {};
  if (typeof labels === 'object' && labels !== null) {
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value === 'string') result[key] = value;
    }
  }
  return result;
}
