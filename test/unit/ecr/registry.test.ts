import { describe, expect, it } from '@jest/globals';
import {
  EcrError,
  formatImageUri,
  imageTagProblem,
  knownRegions,
  parseEcrImageUri,
  parseImageReference,
  regionInfo,
  regionProblem,
  registryHost,
  repositoryNameProblem,
} from '../../../packages/ecr/index.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('registryHost', () => {
  it.each([
    ['123456789012', 'us-east-1', false, '123456789012.dkr.ecr.us-east-1.amazonaws.com'],
    ['123456789012', 'eu-west-3', false, '123456789012.dkr.ecr.eu-west-3.amazonaws.com'],
    ['123456789012', 'ap-southeast-7', false, '123456789012.dkr.ecr.ap-southeast-7.amazonaws.com'],
    ['008577686731', 'us-gov-west-1', false, '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com'],
    ['008577686731', 'us-gov-east-1', false, '008577686731.dkr.ecr.us-gov-east-1.amazonaws.com'],
    ['123456789012', 'cn-north-1', false, '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'],
    [
      '123456789012',
      'cn-northwest-1',
      false,
      '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
    ],
    ['123456789012', 'us-east-1', true, '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com'],
    ['123456789012', 'us-east-2', true, '123456789012.dkr.ecr-fips.us-east-2.amazonaws.com'],
    ['123456789012', 'us-west-1', true, '123456789012.dkr.ecr-fips.us-west-1.amazonaws.com'],
    ['123456789012', 'us-west-2', true, '123456789012.dkr.ecr-fips.us-west-2.amazonaws.com'],
    [
      '008577686731',
      'us-gov-west-1',
      true,
      '008577686731.dkr.ecr-fips.us-gov-west-1.amazonaws.com',
    ],
    [
      '008577686731',
      'us-gov-east-1',
      true,
      '008577686731.dkr.ecr-fips.us-gov-east-1.amazonaws.com',
    ],
  ])('%s in %s (fips %s) is %s', (accountId, region, fips, host) => {
    expect(registryHost({ accountId, region, fips })).toBe(host);
  });

  it.each([
    [
      { accountId: '123456789012', region: 'eu-west-1', fips: true },
      'no FIPS endpoint in eu-west-1',
    ],
    [
      { accountId: '123456789012', region: 'cn-north-1', fips: true },
      'no FIPS endpoint in cn-north-1',
    ],
    [{ accountId: '12345', region: 'us-east-1' }, 'not an AWS account id'],
    [{ accountId: '123456789012', region: 'us-east-9' }, 'not a known AWS region'],
    [{ accountId: '123456789012', region: 'US East' }, 'not an AWS region code'],
  ])('refuses %j: %s', (address, message) => {
    expect(() => registryHost(address)).toThrow(EcrError);
    expect(() => registryHost(address)).toThrow(message);
  });
});

describe('regions', () => {
  it.each([
    ['us-east-1', 'aws', 'amazonaws.com', true],
    ['eu-central-2', 'aws', 'amazonaws.com', false],
    ['us-gov-west-1', 'aws-us-gov', 'amazonaws.com', true],
    ['cn-northwest-1', 'aws-cn', 'amazonaws.com.cn', false],
  ])('%s is in %s (%s), FIPS %s', (region, partition, dnsSuffix, fipsAvailable) => {
    expect(regionInfo(region)).toEqual({ region, partition, dnsSuffix, fipsAvailable });
  });

  it('knows every commercial, China and GovCloud region once', () => {
    const regions = knownRegions();
    expect(new Set(regions).size).toBe(regions.length);
    expect(regions).toEqual(expect.arrayContaining(['us-gov-west-1', 'cn-north-1', 'ap-east-2']));
    for (const region of regions) expect(regionProblem(region)).toBeUndefined();
  });

  it.each([
    ['', 'not an AWS region code'],
    ['useast1', 'not an AWS region code'],
    ['us-east-1 ', 'not an AWS region code'],
    ['US-EAST-1', 'not an AWS region code'],
    ['us-east-9', 'did you mean us-east-1, us-east-2?'],
    ['us-gov-north-1', 'did you mean us-gov-east-1, us-gov-west-1?'],
    ['us-iso-east-1', 'isolated partitions'],
    ['xx-west-1', 'not a known AWS region'],
  ])('refuses %j with a clear reason (%s)', (region, reason) => {
    expect(regionProblem(region)).toContain(reason);
    expect(() => regionInfo(region)).toThrow(reason);
  });
});

describe('repository names', () => {
  it.each([
    'ab',
    'app',
    'team/app',
    'a/b/c',
    'my-app',
    'my_app',
    'my.app',
    'a1/b-2_c.3',
    'x'.repeat(256),
  ])('accepts %s', (name) => {
    expect(repositoryNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['a', '2 to 256'],
    ['x'.repeat(257), '2 to 256'],
    ['App', 'lower-case'],
    ['team//app', 'lower-case'],
    ['/app', 'lower-case'],
    ['app/', 'lower-case'],
    ['my--app', 'lower-case'],
    ['-app', 'lower-case'],
    ['app.', 'lower-case'],
    ['my app', 'lower-case'],
    ['app:1', 'lower-case'],
  ])('refuses %j', (name, reason) => {
    expect(repositoryNameProblem(name)).toContain(reason);
  });
});

describe('image tags', () => {
  it.each(['1.2.3', 'v1', 'latest', '_x', 'a'.repeat(128), 'release-2026.11.28_1'])(
    'accepts %s',
    (tag) => {
      expect(imageTagProblem(tag)).toBeUndefined();
    },
  );

  it.each(['', '.hidden', '-x', 'a'.repeat(129), 'has space', 'a/b', 'a:b'])(
    'refuses %j',
    (tag) => {
      expect(imageTagProblem(tag)).toContain('not a valid image tag');
    },
  );
});

describe('parseEcrImageUri', () => {
  it.each([
    [
      '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/team/app:1.2.3',
      {
        accountId: '008577686731',
        region: 'us-gov-west-1',
        partition: 'aws-us-gov',
        fips: false,
        repository: 'team/app',
        tag: '1.2.3',
        digest: undefined,
      },
    ],
    [
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@${DIGEST}`,
      {
        accountId: '123456789012',
        region: 'us-east-1',
        partition: 'aws',
        fips: false,
        repository: 'app',
        tag: undefined,
        digest: DIGEST,
      },
    ],
    [
      `123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a/b/c:v1@${DIGEST}`,
      {
        accountId: '123456789012',
        region: 'cn-north-1',
        partition: 'aws-cn',
        fips: false,
        repository: 'a/b/c',
        tag: 'v1',
        digest: DIGEST,
      },
    ],
    [
      '008577686731.dkr.ecr-fips.us-gov-east-1.amazonaws.com/app',
      {
        accountId: '008577686731',
        region: 'us-gov-east-1',
        partition: 'aws-us-gov',
        fips: true,
        repository: 'app',
        tag: undefined,
        digest: undefined,
      },
    ],
  ])('parses %s and formats it back', (uri, expected) => {
    const parsed = parseEcrImageUri(uri);
    expect(parsed).toMatchObject(expected);
    expect(parsed.registry).toBe(
      registryHost({ accountId: parsed.accountId, region: parsed.region, fips: parsed.fips }),
    );
    expect(formatImageUri(parsed)).toBe(uri);
  });

  it('round-trips every known region and both FIPS forms', () => {
    for (const region of knownRegions()) {
      const info = regionInfo(region);
      for (const fips of info.fipsAvailable ? [false, true] : [false]) {
        const registry = registryHost({ accountId: '111122223333', region, fips });
        const uri = formatImageUri({ registry, repository: 'team/app', tag: 'v1' });
        expect(parseEcrImageUri(uri)).toMatchObject({ region, fips, registry, tag: 'v1' });
      }
    }
  });

  it.each([
    ['team/app:1', 'not an ECR image URI'],
    ['docker.io/library/busybox:1', 'not an ECR image URI'],
    ['12345.dkr.ecr.us-east-1.amazonaws.com/app', 'not an ECR image URI'],
    ['123456789012.dkr.ecr.us-east-9.amazonaws.com/app', 'not a known AWS region'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com/app', 'end in .amazonaws.com.cn'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.cn/app', 'end in .amazonaws.com'],
    ['123456789012.dkr.ecr-fips.eu-west-1.amazonaws.com/app', 'no FIPS endpoint in eu-west-1'],
    ['https://123456789012.dkr.ecr.us-east-1.amazonaws.com/app', 'leave out the scheme'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/App:1', 'not a valid ECR repository name'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app:-x', 'not a valid image tag'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc', 'not an image digest'],
  ])('refuses %s (%s)', (uri, reason) => {
    expect(() => parseEcrImageUri(uri)).toThrow(reason);
  });
});

describe('parseImageReference', () => {
  it.each([
    ['app', { registry: undefined, repository: 'app', tag: undefined, digest: undefined }],
    ['team/app:v1', { registry: undefined, repository: 'team/app', tag: 'v1', digest: undefined }],
    [
      '127.0.0.1:5000/team/app:v1',
      { registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', digest: undefined },
    ],
    [
      'localhost/app',
      { registry: 'localhost', repository: 'app', tag: undefined, digest: undefined },
    ],
    [
      `registry.example/app@${DIGEST}`,
      { registry: 'registry.example', repository: 'app', tag: undefined, digest: DIGEST },
    ],
  ])('splits %s', (reference, expected) => {
    expect(parseImageReference(reference)).toEqual(expected);
    if (expected.registry !== undefined) {
      expect(formatImageUri({ ...expected, registry: expected.registry })).toBe(reference);
    }
  });
});
