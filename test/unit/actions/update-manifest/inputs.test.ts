import { describe, expect, it } from '@jest/globals';
import { getInputs } from '../../../../actions/update-manifest/src/inputs.js';

const DEFAULTS: Record<string, string> = {
  path: 'manifests',
  files: '',
  image: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal',
  tag: 'v0.0.418',
  digest: '',
  set: '',
  format: 'v0.0.{n}',
  'allow-downgrade': 'false',
  'downgrade-reason': '',
  'fail-if-none': 'true',
  'dry-run': 'false',
  'verify-image': 'false',
  registry: '',
  region: '',
};

const inputs = (overrides: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) =>
  getInputs((name) => ({ ...DEFAULTS, ...overrides })[name] ?? '', {
    GITHUB_WORKSPACE: '/work/space',
    ...env,
  });

describe('update-manifest inputs', () => {
  it('resolves path against the workspace and reads multi-line lists', () => {
    const parsed = inputs({
      files: 'apps/vsp-cms/*.yaml\n# a comment\n\n apps/other.yaml ',
      set: 'web.envSecrets[name=DD_VERSION].value={version}\n',
    });
    expect(parsed.path).toBe('/work/space/manifests');
    expect(parsed.files).toEqual(['apps/vsp-cms/*.yaml', 'apps/other.yaml']);
    expect(parsed.set).toEqual(['web.envSecrets[name=DD_VERSION].value={version}']);
    expect(parsed.imageName).toEqual({
      registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com',
      repository: 'dsva/cms-drupal',
    });
    expect(parsed.verifyImage).toBeUndefined();
  });

  it('takes a path anywhere inside the workspace, the workspace itself included', () => {
    expect(inputs({ path: '' }).path).toBe('/work/space');
    expect(inputs({ path: '/work/space/a/../b' }).path).toBe('/work/space/b');
    expect(inputs({ path: '..manifests' }).path).toBe('/work/space/..manifests');
  });

  it('takes the registry and region for verify-image from the image host', () => {
    expect(inputs({ 'verify-image': 'true' }).verifyImage).toEqual({
      repository: 'dsva/cms-drupal',
      registryId: '008577686731',
      region: 'us-gov-west-1',
    });
    expect(
      inputs({ 'verify-image': 'true', image: 'dsva/cms-drupal' }, { AWS_REGION: 'us-east-1' })
        .verifyImage,
    ).toEqual({ repository: 'dsva/cms-drupal', registryId: undefined, region: 'us-east-1' });
  });

  it.each([
    [{ image: '' }, /^input 'image': is empty; give the image repository, e.g. dsva\/cms-drupal/],
    [{ tag: '' }, /^input 'tag': is required and was empty: give it, e.g. v0.0.418/],
    [{ path: '/etc' }, /^input 'path': "\/etc" is outside the workspace \(\/work\/space\)/],
    [{ path: '../..' }, /^input 'path': "..\/.." is outside the workspace/],
    [{ path: '../space-sibling' }, /^input 'path'/],
    [{ image: 'dsva/cms-drupal:v1' }, /^input 'image'/],
    [{ tag: ' ' }, /^input 'tag': is required/],
    [{ format: 'v{n}{n}' }, /^input 'format'/],
    [{ 'dry-run': 'maybe' }, /^input 'dry-run'/],
    [
      { 'verify-image': 'true', image: 'ghcr.io/dsva/cms-drupal' },
      /^input 'image': "ghcr.io" is neither/,
    ],
    [{ 'verify-image': 'true', image: 'dsva/cms-drupal' }, /^input 'region': is required/],
  ])('refuses %j with a line naming the input', (overrides, message) => {
    expect(() => inputs(overrides)).toThrow(message);
  });

  it('checks ExternalSecrets parameters by default, in the region given, the job has, or the host names', () => {
    expect(inputs()).toMatchObject({ checkParameters: 'error', parameterRegion: 'us-gov-west-1' });
    expect(inputs({ region: 'us-gov-east-1' }).parameterRegion).toBe('us-gov-east-1');
    expect(inputs({ image: 'dsva/cms-drupal' }, { AWS_REGION: 'us-east-1' }).parameterRegion).toBe(
      'us-east-1',
    );
    expect(inputs({ image: 'dsva/cms-drupal' }).parameterRegion).toBeUndefined();
    expect(inputs({ 'check-parameters': ' WARN ' }).checkParameters).toBe('warn');
    // Off reads no region, so a bad one cannot stop a release that checks nothing.
    expect(
      inputs({ 'check-parameters': 'off', region: 'nowhere-1' }).parameterRegion,
    ).toBeUndefined();
  });

  it('refuses an unknown check-parameters mode and a bad region, naming the input', () => {
    expect(() => inputs({ 'check-parameters': 'true' })).toThrow(
      /^input 'check-parameters': "true" is not one of error, warn, off$/,
    );
    expect(() => inputs({ region: 'nowhere-1' })).toThrow(/^input 'region': /);
  });
});
