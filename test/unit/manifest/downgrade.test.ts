/**
 * The downgrade guard: by the release format when both tags are in it, else by semver precedence
 * when both tags are semver-shaped (`v3.4.5`, `1.2.3-rc.1`), with the same allow + reason escape.
 */
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../packages/kit/index.js';
import {
  parseImageName,
  planManifestEdit,
  prepareManifestEdit,
  rewriteYaml,
} from '../../../packages/manifest/index.js';

const image = parseImageName('org/name');
const downgrade = (old: string, tag: string): boolean | undefined =>
  rewriteYaml(`image: org/name:${old}\n`, 'v.yaml', { image, tag }).references[0]?.downgrade;

describe('the downgrade guard on semver-shaped tags', () => {
  it.each([
    ['v3.4.5', 'v3.4.4', true],
    ['3.4.5', '3.4.4', true],
    ['v3.4.5', '3.4.4', true],
    ['1.10.0', '1.9.9', true],
    ['2.0.0', '2.0.0-rc.1', true],
    ['1.0.0-rc.2', '1.0.0-rc.1', true],
    ['1.0.0-rc.10', '1.0.0-rc.9', true],
    ['1.0.0-beta', '1.0.0-alpha.1', true],
    ['1.0.0-alpha.beta', '1.0.0-alpha.1', true],
    ['1.0.0-alpha.1', '1.0.0-alpha', true],
    ['v3.4.4', 'v3.4.5', false],
    ['1.0.0-rc.1', '1.0.0', false],
    ['3.4.5', '3.4.5', false],
    // Not semver on one side: no verdict.
    ['1.25', '1.24', false],
    ['latest', '1.0.0', false],
    ['3.4.5', 'sha-4f2a9c1', false],
    ['01.2.3', '1.2.2', false],
  ])('%s -> %s is a downgrade: %s', (old, tag, expected) => {
    expect(downgrade(old, tag)).toBe(expected);
  });

  it('keeps the format order where both tags are in the format (hotfixes after their release)', () => {
    expect(downgrade('v0.0.418-1', 'v0.0.418')).toBe(true);
    expect(downgrade('v0.0.418', 'v0.0.418-1')).toBe(false);
  });

  it('refuses a semver downgrade unless allowed with a reason', () => {
    const sources = [
      {
        path: 'values.yaml',
        text: 'image:\n  repository: org/name\n  tag: v3.4.5\n',
        explicit: true,
      },
    ];
    expect(() =>
      planManifestEdit(
        sources,
        prepareManifestEdit({ image: 'org/name', tag: 'v3.4.4' }),
        silentLogger,
      ),
    ).toThrow(/refusing to downgrade to v3\.4\.4: values\.yaml:3 \(image\.tag\) holds v3\.4\.5/);
    const plan = planManifestEdit(
      sources,
      prepareManifestEdit({
        image: 'org/name',
        tag: 'v3.4.4',
        allowDowngrade: true,
        downgradeReason: 'v3.4.5 leaks memory',
      }),
      silentLogger,
    );
    expect(plan.downgradeReason).toBe('v3.4.5 leaks memory');
    expect(plan.changedFiles).toEqual(['values.yaml']);
  });
});
