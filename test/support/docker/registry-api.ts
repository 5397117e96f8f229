/**
 * A small client for the OCI distribution API of the test registry (basic auth on every request).
 * Used by the ECR test server to read and write images, and by tests to seed and check the registry.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/**
 * Every modern manifest type. Distribution 2.8 converts a Docker v2 manifest to schema1 (a different
 * digest) when the Accept header lacks the Docker v2 type, so always send all of them.
 */
export const ALL_MANIFEST_TYPES: readonly string[] = Object.values(MEDIA_TYPES);

export interface RegistryCredentials {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly username: string;
  readonly password: string;
}

export interface StoredManifest {
  /** The exact stored bytes: their sha256 is the digest. */
  readonly body: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export class RegistryApiError extends Error {
  override name = 'RegistryApiError';
  readonly status: number;
  /** The first OCI error code, e.g. MANIFEST_BLOB_UNKNOWN, NAME_UNKNOWN. */
  readonly code: string | undefined;

  constructor(what: string, status: number, body: string) {
    let code: string | undefined;
    try {
      const parsed = JSON.parse(body) as { errors?: { code?: unknown }[] };
      const first = parsed.errors?.[0]?.code;
      code = typeof first === 'string' ? first : undefined;
    } catch {
      code = undefined;
    }
    super(`registry ${what}: HTTP ${String(status)}${code ? ` ${code}` : ''}`);
    this.status = status;
    this.code = code;
  }
}

export function sha256Digest(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** A one-file ustar archive, enough for an image layer. */
function tarWithFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const write = (text: string, offset: number, length: number): void => {
    header.write(text.slice(0, length), offset, 'ascii');
  };
  const octal = (value: number, length: number): string =>
    value.toString(8).padStart(length - 1, '0') + '\0';
  write(name, 0, 100);
  write(octal(0o644, 8), 100, 8);
  write(octal(0, 8), 108, 8);
  write(octal(0, 8), 116, 8);
  write(octal(content.length, 12), 124, 12);
  write(octal(0, 12), 136, 12);
  header.fill(' ', 148, 156);
  write('0', 156, 1);
  write('ustar\0' + '00', 257, 8);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  write(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export interface SyntheticImageOptions {
  /** Docker v2 (default) or OCI manifest. */
  readonly format?: 'docker' | 'oci';
  /** Content of the single file `/content.txt`; different content gives a different digest. */
  readonly content?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export class RegistryApi {
  readonly host: string;
  private readonly authorization: string;

  constructor(credentials: RegistryCredentials) {
    this.host = credentials.host;
    this.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  private async request(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const url = path.startsWith('http') ? path : `http://${this.host}${path}`;
    return fetch(url, {
      method,
      headers: { authorization: this.authorization, ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  }

  private async fail(what: string, response: Response): Promise<never> {
    throw new RegistryApiError(what, response.status, await response.text());
  }

  /** Tags of a repository (unsorted in Distribution 2.8; `n`/`last` are ignored); [] when it has none. */
  async tags(repository: string): Promise<string[]> {
    const response = await this.request('GET', `/v2/${repository}/tags/list`);
    if (response.status === 404) {
      await response.body?.cancel();
      return [];
    }
    if (!response.ok) return this.fail(`tags of ${repository}`, response);
    const body = (await response.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  async getManifest(
    repository: string,
    reference: string,
    accept: readonly string[] = ALL_MANIFEST_TYPES,
  ): Promise<StoredManifest | undefined> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: accept.join(', ') },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) return this.fail(`manifest ${repository}:${reference}`, response);
    const body = Buffer.from(await response.arrayBuffer());
    return {
      body,
      mediaType: response.headers.get('content-type') ?? '',
      digest: response.headers.get('docker-content-digest') ?? sha256Digest(body),
    };
  }

  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    const response = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: ALL_MANIFEST_TYPES.join(', ') },
    });
    if (response.status === 404) return undefined;
    if (!response.ok) return this.fail(`manifest ${repository}:${reference}`, response);
    const digest = response.headers.get('docker-content-digest');
    if (digest === null) {
      throw new Error(`registry HEAD ${repository}:${reference} returned no Docker-Content-Digest`);
    }
    return {
      digest,
      mediaType: response.headers.get('content-type') ?? '',
      size: Number(response.headers.get('content-length') ?? '0'),
    };
  }

  /** Stores manifest bytes under a tag or digest; `mediaType` must be the manifest's own. */
  async putManifest(
    repository: string,
    reference: string,
    body: Buffer,
    mediaType: string,
  ): Promise<string> {
    const response = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body,
    });
    if (!response.ok) return this.fail(`PUT manifest ${repository}:${reference}`, response);
    await response.body?.cancel();
    return response.headers.get('docker-content-digest') ?? sha256Digest(body);
  }

  /** Deletes a manifest (and so every tag naming it); false when it wasn't there. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`);
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) return this.fail(`DELETE manifest ${repository}@${digest}`, response);
    return true;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`);
    return response.ok;
  }

  /** Monolithic upload (POST then PUT ?digest=), skipped when the blob is already in the repository. */
  async uploadBlob(repository: string, content: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(content);
    if (await this.hasBlob(repository, digest)) return { digest, size: content.length };
    const started = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    await started.body?.cancel();
    const location = started.headers.get('location');
    if (started.status !== 202 || location === null) {
      return this.fail(`start upload to ${repository}`, started);
    }
    const url = new URL(location, `http://${this.host}`);
    url.searchParams.set('digest', digest);
    const finished = await this.request('PUT', url.toString(), {
      headers: { 'content-type': 'application/octet-stream' },
      body: content,
    });
    await finished.body?.cancel();
    if (finished.status !== 201) return this.fail(`finish upload to ${repository}`, finished);
    return { digest, size: content.length };
  }

  /**
   * Pushes a small valid single-layer image (no docker needed): a config blob, one gzipped layer with
   * `/content.txt`, and a manifest under `tag`. Returns the stored manifest.
   */
  async pushSyntheticImage(
    repository: string,
    tag: string,
    options: SyntheticImageOptions = {},
  ): Promise<StoredManifest> {
    const oci = options.format === 'oci';
    const layerTar = tarWithFile(
      'content.txt',
      Buffer.from(options.content ?? `${repository}:${tag}\n`),
    );
    const layer = await this.uploadBlob(repository, gzipSync(layerTar));
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: options.labels ?? {} },
        rootfs: { type: 'layers', diff_ids: [sha256Digest(layerTar)] },
        history: [{ created_by: 'registry-api synthetic image' }],
      }),
    );
    const configBlob = await this.uploadBlob(repository, config);
    const mediaType = oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
    const manifest = Buffer.from(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType,
          config: {
            mediaType: oci
              ? 'application/vnd.oci.image.config.v1+json'
              : 'application/vnd.docker.container.image.v1+json',
            size: configBlob.size,
            digest: configBlob.digest,
          },
          layers: [
            {
              mediaType: oci
                ? 'application/vnd.oci.image.layer.v1.tar+gzip'
                : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
              size: layer.size,
              digest: layer.digest,
            },
          ],
        },
        null,
        3,
      ),
    );
    const digest = await this.putManifest(repository, tag, manifest, mediaType);
    return { body: manifest, mediaType, digest };
  }
}
