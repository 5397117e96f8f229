import { describe, expect, it } from '@jest/globals';
import {
  imageMatches,
  isValidDigest,
  isValidDockerTag,
  ManifestError,
  parseImageName,
  parseImageReference,
} from '../../../packages/manifest/index.js';

const ECR = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com';
const DIGEST_A = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['nginx', { name: 'nginx', repository: 'nginx' }],
    ['nginx:1.25', { name: 'nginx', repository: 'nginx', tag: '1.25' }],
    [
      'dsva/cms-drupal:v0.0.417',
      { name: 'dsva/cms-drupal', repository: 'dsva/cms-drupal', tag: 'v0.0.417' },
    ],
    [
      `${ECR}/dsva/cms-drupal:v0.0.417`,
      {
        name: `${ECR}/dsva/cms-drupal`,
        registry: ECR,
        repository: 'dsva/cms-drupal',
        tag: 'v0.0.417',
      },
    ],
    [
      'localhost:5000/a/b:c',
      { name: 'localhost:5000/a/b', registry: 'localhost:5000', repository: 'a/b', tag: 'c' },
    ],
    ['localhost/a', { name: 'localhost/a', registry: 'localhost', repository: 'a' }],
    [
      '[::1]:5000/a/b:c',
      { name: '[::1]:5000/a/b', registry: '[::1]:5000', repository: 'a/b', tag: 'c' },
    ],
    ['Registry/a', { name: 'Registry/a', registry: 'Registry', repository: 'a' }],
    [`a/b:v1@${DIGEST_A}`, { name: 'a/b', repository: 'a/b', tag: 'v1', digest: DIGEST_A }],
    [`a/b@${DIGEST_A}`, { name: 'a/b', repository: 'a/b', digest: DIGEST_A }],
    ['a/b__c.d-e--f:_x', { name: 'a/b__c.d-e--f', repository: 'a/b__c.d-e--f', tag: '_x' }],
  ])('parses %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each([
    '',
    'Dsva',
    'dsva/Cms',
    'a//b',
    'a/b:',
    'a/b:-x',
    'a/b:.x',
    `a/b:${'x'.repeat(129)}`,
    'a:b:c',
    'https://example.com/a/b:c',
    'a b',
    ' a/b',
    'a/b@sha256:short',
    'a/b@',
    '/a/b',
    'a/b/',
    'a/-b',
    'a/b_',
    'a/b...c',
    '-host.com/a',
    'host..com/a',
    '{{ .Values.image }}',
  ])('refuses %j', (text) => {
    expect(parseImageReference(text)).toBeUndefined();
  });
});

describe('parseImageName', () => {
  it('accepts a repository with or without registry', () => {
    expect(parseImageName('dsva/cms-drupal')).toEqual({ repository: 'dsva/cms-drupal' });
    expect(parseImageName(` ${ECR}/dsva/cms-drupal `)).toEqual({
      registry: ECR,
      repository: 'dsva/cms-drupal',
    });
  });

  it.each([
    [
      'dsva/cms-drupal:v1',
      /input 'image': 'dsva\/cms-drupal:v1' includes a tag; .*the tag in 'tag'/,
    ],
    [`dsva/cms-drupal@${DIGEST_A}`, /includes a digest; .*'digest'/],
    ['', /input 'image': is empty/],
    ['DSVA', /is not an image repository/],
    [
      'dsva/cms-drupal@sha256:abc',
      /'dsva\/cms-drupal@sha256:abc' is not an image repository \(it holds '@'\); give the repository alone \(dsva\/cms-drupal\) and the digest, sha256: and 64 hex digits, in 'digest'/,
    ],
  ])('refuses %j', (image, message) => {
    expect(() => parseImageName(image)).toThrow(ManifestError);
    expect(() => parseImageName(image)).toThrow(message);
  });
});

describe('tags and digests', () => {
  it.each(['v0.0.418', 'latest', '_x', '1', 'a'.repeat(128), 'v0.0.418-2', 'A_b.c-D'])(
    'valid tag %s',
    (tag) => {
      expect(isValidDockerTag(tag)).toBe(true);
    },
  );
  it.each(['', '-v1', '.v1', 'a'.repeat(129), 'v 1', 'v1/2', 'v1:2', 'é'])(
    'invalid tag %j',
    (tag) => {
      expect(isValidDockerTag(tag)).toBe(false);
    },
  );
  it('digests are sha256 and 64 lower-case hex digits', () => {
    expect(isValidDigest(DIGEST_A)).toBe(true);
    expect(isValidDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isValidDigest(`sha512:${'a'.repeat(64)}`)).toBe(false);
    expect(isValidDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
  });
});

describe('imageMatches', () => {
  const byText = (image: string, candidate: string): boolean => {
    const reference = parseImageReference(candidate);
    if (!reference) throw new Error(`bad test reference ${candidate}`);
    return imageMatches(parseImageName(image), reference);
  };

  it.each([
    ['dsva/cms-drupal', 'dsva/cms-drupal:v1', true],
    ['dsva/cms-drupal', `${ECR}/dsva/cms-drupal:v1`, true],
    [`${ECR}/dsva/cms-drupal`, 'dsva/cms-drupal:v1', true],
    [`${ECR}/dsva/cms-drupal`, `${ECR.toUpperCase()}/dsva/cms-drupal`, true],
    [
      `${ECR}/dsva/cms-drupal`,
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/dsva/cms-drupal',
      false,
    ],
    ['dsva/cms-drupal', 'dsva/cms-drupal-worker:v1', false],
    ['dsva/cms-drupal', 'other/dsva/cms-drupal:v1', false],
    ['dsva/cms-drupal', 'dsva/cms:v1', false],
    ['dsva/cms-drupal', 'cms-drupal:v1', false],
    ['localhost:5000/a', 'localhost:5001/a', false],
    ['nginx', 'docker.io/library/nginx:1', true],
    ['docker.io/library/nginx', 'nginx:1', true],
    ['index.docker.io/nginx', 'docker.io/library/nginx', true],
    ['nginx', 'quay.io/library/nginx:1', false],
  ])('%s vs %s: %s', (image, candidate, expected) => {
    expect(byText(image, candidate)).toBe(expected);
  });
});
