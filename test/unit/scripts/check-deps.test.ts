/**
 * scripts/check-deps.mjs fails a bundle holding a dev dependency and a high advisory in a
 * production dependency (npm audit answered by a stand-in).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../../support/action-runner.js';

describe('no dev dependency in a bundle (scripts/check-deps.mjs)', () => {
  /** webpack stats as `ncc --stats-out` writes them: modules, concatenated ones nested. */
  const stats = (...names: string[]) => ({
    modules: [
      { name: './actions/probe/src/index.ts' },
      {
        name: './actions/probe/src/main.ts + 2 modules',
        modules: names.map((name) => ({ name })),
      },
    ],
  });

  /**
   * Runs the check on these bundle stats; with `audit`, `npm audit` answers that JSON (an `npm`
   * in front of the real one on PATH) instead of the registry.
   */
  function checkDeps(
    bundles: Record<string, unknown>,
    audit?: { report: unknown; env?: Record<string, string> },
  ): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-stats-'));
    try {
      const statsDir = join(dir, 'stats');
      mkdirSync(statsDir);
      for (const [name, content] of Object.entries(bundles)) {
        writeFileSync(join(statsDir, `${name}.json`), JSON.stringify(content));
      }
      const realNpm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
      writeFileSync(join(dir, 'audit.json'), JSON.stringify(audit?.report ?? {}));
      writeFileSync(
        join(dir, 'npm'),
        `#!/bin/sh\nif [ "$1" = audit ]; then cat '${join(dir, 'audit.json')}'; exit 1; fi\nexec '${realNpm}' "$@"\n`,
        { mode: 0o755 },
      );
      const run = spawnSync(
        process.execPath,
        [
          join(ROOT, 'scripts/check-deps.mjs'),
          ...(audit === undefined ? ['--no-audit'] : []),
          '--stats',
          statsDir,
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            GITHUB_ACTIONS: '',
            GITOPS_REQUIRE_AUDIT: '',
            PATH: `${dir}:${process.env.PATH ?? ''}`,
            ...audit?.env,
          },
        },
      );
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('passes bundles of production dependencies only (nested node_modules included)', () => {
    const result = checkDeps({
      probe: stats(
        './node_modules/picomatch/lib/parse.js',
        './node_modules/yaml/dist/index.js',
        './node_modules/@octokit/plugin-retry/node_modules/@octokit/types/index.js',
      ),
    });
    expect(result.output).toContain('bundle probe: 3 packages, all production dependencies');
    expect(result.status).toBe(0);
  });

  it('fails a bundle holding a dev dependency, naming the bundle and the package', () => {
    const result = checkDeps({
      clean: stats('./node_modules/picomatch/index.js'),
      dirty: stats('./node_modules/picomatch/index.js', './node_modules/ajv/dist/ajv.js'),
    });
    expect(result.output).toContain('bundle clean: 1 packages, all production dependencies');
    expect(result.output).toContain(
      'bundle dirty: dev or unlisted dependencies bundled: node_modules/ajv',
    );
    expect(result.status).toBe(1);
  });

  const clean = { probe: stats('./node_modules/picomatch/index.js') };
  const unreachable = {
    message:
      '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  };

  it('fails on a high advisory in a production dependency, listing it', () => {
    const result = checkDeps(clean, {
      report: {
        vulnerabilities: {
          undici: {
            severity: 'high',
            via: [{ title: 'Request smuggling', url: 'https://github.com/advisories/GHSA-test' }],
          },
        },
        metadata: {
          vulnerabilities: { info: 0, low: 0, moderate: 0, high: 1, critical: 0, total: 1 },
          dependencies: { prod: 61 },
        },
      },
    });
    expect(result.output).toContain('npm audit (production dependencies, 61 packages): 0 info');
    expect(result.output).toContain(
      'high undici: Request smuggling (https://github.com/advisories/GHSA-test)',
    );
    expect(result.status).toBe(1);
  });

  it('passes a clean audit; an unreachable audit endpoint fails on GitHub Actions only', () => {
    const audited = checkDeps(clean, {
      report: { metadata: { vulnerabilities: { low: 2, high: 0, critical: 0, total: 2 } } },
    });
    expect(audited.output).toContain(
      'npm audit (production dependencies): 2 low, 0 high, 0 critical',
    );
    expect(audited.status).toBe(0);

    const local = checkDeps(clean, { report: unreachable });
    expect(local.output).toContain("npm audit: NOT RUN, the registry's audit endpoint failed (405");
    expect(local.status).toBe(0);

    const ci = checkDeps(clean, { report: unreachable, env: { GITHUB_ACTIONS: 'true' } });
    expect(ci.output).toContain('npm audit: FAILED to reach the audit endpoint: 405');
    expect(ci.status).toBe(1);
  });
});
