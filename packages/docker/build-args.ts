/**
 * `docker build` / `docker buildx build` argv, built by pure functions from plain objects so every
 * combination can be table-tested. Secrets are referenced by environment variable name only
 * (`--secret id=...,env=...`): no secret value is ever part of a command line.
 */

/** `buildx`: `docker buildx build --load`; `classic`: `DOCKER_BUILDKIT=1 docker build` (no buildx plugin). */
export type BuilderKind = 'buildx' | 'classic';

export interface Builder {
  readonly kind: BuilderKind;
  /** buildx driver (`docker`, `docker-container`, ...); undefined for the classic builder. */
  readonly driver: string | undefined;
}

/** A BuildKit secret read from an environment variable of the build process. */
export interface SecretEnv {
  readonly id: string;
  readonly env: string;
}

export interface BuildSpec {
  /** Build context directory. */
  readonly context: string;
  /** Dockerfile; docker's default (`<context>/Dockerfile`) when unset. */
  readonly file?: string | undefined;
  /** Full references to tag the local image with, e.g. `<registry>/<repo>:v0.0.418`. */
  readonly tags: readonly string[];
  /** `KEY=VALUE` items. */
  readonly buildArgs?: readonly string[] | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly target?: string | undefined;
  readonly platform?: string | undefined;
  /** `docker build --network`: `none`, `host`, `default` or a network name. */
  readonly network?: string | undefined;
  /** buildx form (`type=registry,ref=<image>`) or a plain image reference. */
  readonly cacheFrom?: readonly string[] | undefined;
  /** buildx form, e.g. `type=registry,ref=<image>:cache,mode=max` or `type=inline`. */
  readonly cacheTo?: readonly string[] | undefined;
  readonly pull?: boolean | undefined;
  readonly noCache?: boolean | undefined;
  readonly secretEnvs?: readonly SecretEnv[] | undefined;
  /** File docker writes the built image id into. */
  readonly iidFile?: string | undefined;
}

export interface BuildCommand {
  /** Arguments after `docker`. */
  readonly args: string[];
  /** Environment the command needs on top of the inherited one. */
  readonly env: Readonly<Record<string, string>>;
  /** Settings this builder can't honour and that were left out, for the log. */
  readonly dropped: string[];
}

/** `type=registry,ref=x` -> `x`; a plain reference stays; other cache types give undefined. */
export function registryCacheRef(entry: string): string | undefined {
  if (!entry.includes('=')) return entry;
  const fields = new Map(
    entry.split(',').map((field) => {
      const separator = field.indexOf('=');
      return [field.slice(0, separator).trim(), field.slice(separator + 1).trim()] as const;
    }),
  );
  const type = fields.get('type') ?? 'registry';
  const ref = fields.get('ref');
  return type === 'registry' && ref !== undefined && ref !== '' ? ref : undefined;
}

function isInline(entry: string): boolean {
  return /(^|,)\s*type=inline\s*(,|$)/.test(entry);
}

const repeat = (flag: string, values: readonly string[] | undefined): string[] =>
  (values ?? []).flatMap((value) => [flag, value]);

/**
 * The argv for building `spec` with `builder`. The classic builder gets inline cache
 * (`BUILDKIT_INLINE_CACHE=1`, plain `--cache-from` references) since it can't export a registry cache;
 * buildx gets the cache settings as given and `--load`, so the image lands in the local store to push.
 */
export function buildCommand(spec: BuildSpec, builder: Builder): BuildCommand {
  const dropped: string[] = [];
  const buildx = builder.kind === 'buildx';
  let cacheFrom: string[];
  let cacheTo: string[];
  let inlineCache: boolean;
  if (buildx) {
    cacheFrom = [...(spec.cacheFrom ?? [])];
    cacheTo = [...(spec.cacheTo ?? [])];
    // `type=inline` is exported through the build arg on every builder.
    inlineCache = cacheTo.some(isInline);
  } else {
    cacheFrom = [];
    for (const entry of spec.cacheFrom ?? []) {
      const ref = registryCacheRef(entry);
      if (ref === undefined) dropped.push(`cache-from ${entry} (needs buildx)`);
      else cacheFrom.push(ref);
    }
    cacheTo = [];
    for (const entry of spec.cacheTo ?? []) {
      if (!isInline(entry)) dropped.push(`cache-to ${entry} (needs buildx; inline cache used)`);
    }
    inlineCache = true;
  }
  const labels = Object.entries(spec.labels ?? {}).map(([key, value]) => `${key}=${value}`);
  const args = [
    ...(buildx ? ['buildx', 'build', '--load'] : ['build']),
    '--progress',
    'plain',
    ...(spec.file === undefined ? [] : ['--file', spec.file]),
    ...repeat('--tag', spec.tags),
    ...(spec.target === undefined ? [] : ['--target', spec.target]),
    ...(spec.platform === undefined ? [] : ['--platform', spec.platform]),
    ...(spec.network === undefined ? [] : ['--network', spec.network]),
    ...(spec.pull === true ? ['--pull'] : []),
    ...(spec.noCache === true ? ['--no-cache'] : []),
    ...repeat('--build-arg', spec.buildArgs),
    ...(inlineCache ? ['--build-arg', 'BUILDKIT_INLINE_CACHE=1'] : []),
    ...repeat('--label', labels),
    ...repeat('--cache-from', cacheFrom),
    ...repeat('--cache-to', cacheTo),
    ...repeat(
      '--secret',
      (spec.secretEnvs ?? []).map((secret) => `id=${secret.id},env=${secret.env}`),
    ),
    ...(spec.iidFile === undefined ? [] : ['--iidfile', spec.iidFile]),
    spec.context,
  ];
  return { args, env: buildx ? {} : { DOCKER_BUILDKIT: '1' }, dropped };
}

/**
 * The cache settings used when the caller gives none. buildx with a driver that can export caches
 * (not the `docker` driver): a registry cache at `<repository>:cache` (OCI image manifest, which ECR
 * stores; errors ignored, so an immutable `cache` tag never fails a release). Otherwise inline cache in
 * the image, read back from `<repository>:cache`. Extra references (e.g. the release tag on a re-run)
 * are read too.
 */
export function defaultCache(
  builder: Builder,
  repositoryRef: string,
  extraFrom: readonly string[] = [],
): { cacheFrom: string[]; cacheTo: string[] } {
  const cacheRef = `${repositoryRef}:cache`;
  if (builder.kind === 'buildx') {
    const registryCache = builder.driver !== undefined && builder.driver !== 'docker';
    return {
      cacheFrom: [cacheRef, ...extraFrom].map((ref) => `type=registry,ref=${ref}`),
      cacheTo: registryCache
        ? [
            `type=registry,ref=${cacheRef},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
          ]
        : ['type=inline'],
    };
  }
  return { cacheFrom: [cacheRef, ...extraFrom], cacheTo: [] };
}

export interface OciLabelSource {
  /** GITHUB_SERVER_URL, e.g. `https://github.com`. */
  readonly serverUrl?: string | undefined;
  /** GITHUB_REPOSITORY, `owner/name`. */
  readonly repository?: string | undefined;
  /** GITHUB_SHA. */
  readonly revision?: string | undefined;
  /** The release tag. */
  readonly version?: string | undefined;
  readonly created: Date;
}

/** The OCI annotations every release image carries (https://github.com/opencontainers/image-spec/blob/main/annotations.md). */
export function ociLabels(source: OciLabelSource): Record<string, string> {
  const labels: Record<string, string> = {};
  if (source.serverUrl !== undefined && source.repository !== undefined) {
    labels['org.opencontainers.image.source'] =
      `${source.serverUrl.replace(/\/+$/, '')}/${source.repository}`;
  }
  if (source.revision !== undefined) labels['org.opencontainers.image.revision'] = source.revision;
  if (source.version !== undefined) labels['org.opencontainers.image.version'] = source.version;
  labels['org.opencontainers.image.created'] = source.created.toISOString();
  return labels;
}
