/**
 * Docker image references, after distribution/reference's grammar:
 * `[host[:port]/]path[:tag][@digest]`, where the first path component is a host only when it
 * contains `.` or `:`, is `localhost`, or has capitals (which a repository path never has).
 */
import { ManifestError } from './errors.js';

export interface ImageName {
  /** Registry host with optional port, as written (`008577686731.dkr.ecr.us-gov-west-1.amazonaws.com`). */
  readonly registry?: string;
  /** Repository path without the host (`dsva/cms-drupal`). */
  readonly repository: string;
}

export interface ImageReference extends ImageName {
  readonly tag?: string;
  readonly digest?: string;
  /** Host and path exactly as written, i.e. the text before `:tag` / `@digest`. */
  readonly name: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const MAX_NAME_LENGTH = 255;
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function isValidDockerTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The only digest form a push reports and this suite writes: `sha256:` + 64 lower-case hex digits. */
export function isValidDigest(digest: string): boolean {
  return SHA256_DIGEST.test(digest);
}

function looksLikeHost(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component !== component.toLowerCase()
  );
}

/** Parses a whole string as an image reference; undefined when it is not exactly one. */
export function parseImageReference(text: string): ImageReference | undefined {
  let name = text;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  // A colon before the last slash belongs to host:port, not to a tag.
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return undefined;
  let registry: string | undefined;
  let repository = name;
  const slash = name.indexOf('/');
  if (slash > 0 && looksLikeHost(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    repository = name.slice(slash + 1);
    if (!DOMAIN.test(registry)) return undefined;
  }
  if (!repository.split('/').every((component) => PATH_COMPONENT.test(component))) {
    return undefined;
  }
  return {
    name,
    repository,
    ...(registry === undefined ? {} : { registry }),
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/**
 * A tag value that carries its own pin, `1.2.3@sha256:…` (a shape some charts use in `tag:`):
 * the tag and the digest apart; undefined when the text is not exactly that.
 */
export function splitPinnedTag(text: string): { tag: string; digest: string } | undefined {
  const at = text.indexOf('@');
  if (at < 0) return undefined;
  const tag = text.slice(0, at);
  const digest = text.slice(at + 1);
  return TAG.test(tag) && DIGEST.test(digest) ? { tag, digest } : undefined;
}

/** Parses the `image` input: a repository with an optional registry host, never a tag or digest. */
export function parseImageName(image: string): ImageName {
  const text = image.trim();
  if (text === '') {
    throw new ManifestError('is empty; give the image repository, e.g. dsva/cms-drupal', {
      input: 'image',
    });
  }
  const reference = parseImageReference(text);
  if (!reference && text.includes('@')) {
    throw new ManifestError(
      `'${text}' is not an image repository (it holds '@'); give the repository alone (${text.slice(0, text.indexOf('@'))}) and the digest, sha256: and 64 hex digits, in 'digest'`,
      { input: 'image' },
    );
  }
  if (!reference) {
    throw new ManifestError(
      `'${text}' is not an image repository; expected [registry/]path in lower case, e.g. 008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal`,
      { input: 'image' },
    );
  }
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw new ManifestError(
      `'${text}' includes a ${reference.digest === undefined ? 'tag' : 'digest'}; give the repository alone (${reference.name}) and the tag in 'tag'${reference.digest === undefined ? '' : " and the digest in 'digest'"}`,
      { input: 'image' },
    );
  }
  return reference.registry === undefined
    ? { repository: reference.repository }
    : { registry: reference.registry, repository: reference.repository };
}

/** `registry/repository` or `repository`, as the image was given. */
export function formatImageName(image: ImageName): string {
  return image.registry === undefined ? image.repository : `${image.registry}/${image.repository}`;
}

function normalizeRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return DOCKER_HUB_HOSTS.has(lower) ? 'docker.io' : lower;
}

/** Docker Hub's official images live under `library/`; `nginx` and `docker.io/library/nginx` are one. */
function comparableRepository(name: ImageName): string {
  const onDockerHub =
    name.registry === undefined || normalizeRegistry(name.registry) === 'docker.io';
  return onDockerHub && name.repository.startsWith('library/')
    ? name.repository.slice('library/'.length)
    : name.repository;
}

/**
 * Same image: the repository path matches exactly; the registry hosts too, but only when both
 * sides name one (a values file often leaves the host to a `registry:` key elsewhere).
 */
export function imageMatches(image: ImageName, candidate: ImageName): boolean {
  if (
    image.registry !== undefined &&
    candidate.registry !== undefined &&
    normalizeRegistry(image.registry) !== normalizeRegistry(candidate.registry)
  ) {
    return false;
  }
  return comparableRepository(image) === comparableRepository(candidate);
}

/** `name:tag` or `name:tag@digest`, keeping the name as written. */
export function formatReference(name: string, tag: string, digest: string | undefined): string {
  return digest === undefined ? `${name}:${tag}` : `${name}:${tag}@${digest}`;
}
