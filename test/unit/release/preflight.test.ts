/**
 * The release preflight: one table of every rule, as the CLI, the composite and the reusable
 * workflow all run it (the composite and the workflow through compute-version's `app` input).
 */
import { describe, expect, it } from '@jest/globals';
import {
  checkReleaseRequest,
  environmentsOutput,
  type ReleaseRequest,
} from '../../../packages/release/preflight.js';

const base: ReleaseRequest = { app: 'vsp-cms', manifestsPath: 'apps/vsp-cms' };

describe('checkReleaseRequest', () => {
  it.each<[string, Partial<ReleaseRequest>, string]>([
    ['an app name with a slash', { app: 'cms/prod' }, 'input \'app\': "cms/prod" must be letters'],
    ['an empty app name', { app: '' }, "input 'app'"],
    [
      'a downgrade without a reason',
      { allowDowngrade: true, downgradeReason: '  ' },
      "input 'downgrade-reason': allow-downgrade needs a reason",
    ],
    [
      'a hotfix that promotes an image',
      { hotfixOf: 'v0.0.417', promoteFrom: 'v0.0.416' },
      "input 'promote-from': a hotfix is built from its commit",
    ],
    [
      'nothing to build and nothing to promote',
      { canBuild: false },
      "input 'promote-from': give a build context or an image to promote",
    ],
    [
      'a build and a promotion at once',
      { canBuild: true, promoteFrom: 'v0.0.416' },
      "input 'promote-from': a promotion releases an existing image without a build",
    ],
    [
      'a manifests path outside the repository',
      { manifestsPath: '../elsewhere' },
      'input \'manifests-path\': path "../elsewhere" must stay inside the manifests repository',
    ],
    ['an absolute manifests path', { manifestsPath: '/apps' }, 'must stay inside'],
    ['an unknown mode', { mode: 'force-push' }, 'input \'mode\': mode "force-push" is not one of'],
    ['a glob leaving the folder', { manifestsFiles: ['../x.yaml'] }, "input 'manifests-files'"],
    ['environments that are not JSON', { environments: '{prod' }, "input 'environments': not JSON"],
    ['environments as a list', { environments: '["prod"]' }, 'give an object'],
    ['no environments at all', { environments: '{}' }, 'give an object'],
    [
      'a misspelt key',
      { environments: '{"prod": {"paht": "apps/vsp-cms"}}' },
      "input 'environments': prod: unknown paht (known: path, mode, files, base, environment)",
    ],
    [
      'an environment path outside the repository',
      { environments: '{"prod": {"path": "../elsewhere"}}' },
      'input \'environments\': prod: path "../elsewhere" must stay inside the manifests repository',
    ],
    [
      'an environment with an unknown mode',
      { environments: '{"prod": {"path": "a", "mode": "force-push"}}' },
      'input \'environments\': prod: mode "force-push" is not one of pull-request, direct',
    ],
    [
      'an environment name with a space',
      { environments: '{"pro d": {"path": "a"}}' },
      "input 'environments': pro d: use letters",
    ],
    [
      'an environment whose path is an object',
      { environments: '{"prod": {"path": {"a": 1}}}' },
      'input \'environments\': prod: path must be text, not {"a":1}',
    ],
    [
      'an environment glob leaving its folder',
      { environments: '{"prod": {"path": "a", "files": ["../../b.yaml"]}}' },
      "input 'environments': prod: '../../b.yaml' leaves the environment's folder",
    ],
    [
      'a GitHub environment that is an expression',
      { githubEnvironment: '${{ secrets.X }}' },
      'input \'environment\': GitHub environment "${{ secrets.X }}" must be letters',
    ],
    [
      'a GitHub environment with a line break',
      { githubEnvironment: 'prod\nuction' },
      "input 'environment': GitHub environment",
    ],
    [
      "an environment's GitHub environment that is not a name",
      { environments: '{"prod": {"path": "a", "environment": "-prod"}}' },
      'input \'environments\': prod: GitHub environment "-prod" must be letters',
    ],
    [
      "an environment's GitHub environment that is not text",
      { environments: '{"prod": {"path": "a", "environment": ["prod"]}}' },
      'input \'environments\': prod: environment must be text, not ["prod"]',
    ],
    [
      'a GitHub environment longer than GitHub takes',
      { githubEnvironment: 'p'.repeat(256) },
      "input 'environment': GitHub environment",
    ],
  ])('refuses %s before anything is reserved', (_case, change, message) => {
    expect(() => checkReleaseRequest({ ...base, ...change })).toThrow(message);
  });

  it('plans one environment from the path and mode, marking the release', () => {
    expect(
      checkReleaseRequest({ ...base, manifestsPath: './apps/vsp-cms/', mode: 'direct' }),
    ).toEqual({
      environments: [
        {
          name: 'default',
          path: 'apps/vsp-cms',
          mode: 'direct',
          files: ['**/*.yaml', '**/*.yml'],
          base: '',
          app: 'vsp-cms',
          githubEnvironment: '',
          last: true,
        },
      ],
    });
  });

  it('plans named environments in the given order, each with its own app name', () => {
    const plan = checkReleaseRequest({
      ...base,
      manifestsFiles: ['values*.yaml'],
      environments: JSON.stringify({
        dev: { path: 'apps/vsp-cms/dev', mode: 'direct' },
        prod: { path: 'apps/vsp-cms/prod', files: ['prod.yaml'], base: 'release' },
      }),
    });
    expect(plan.environments).toEqual([
      {
        name: 'dev',
        path: 'apps/vsp-cms/dev',
        mode: 'direct',
        files: ['values*.yaml'],
        base: '',
        app: 'vsp-cms-dev',
        githubEnvironment: '',
        last: false,
      },
      {
        name: 'prod',
        path: 'apps/vsp-cms/prod',
        mode: 'pull-request',
        files: ['prod.yaml'],
        base: 'release',
        app: 'vsp-cms-prod',
        githubEnvironment: '',
        last: true,
      },
    ]);
    // As the workflow's matrix takes it: globs from the repository root, one per line.
    expect(JSON.parse(environmentsOutput(plan))).toMatchObject([
      { name: 'dev', path: 'apps/vsp-cms/dev', files: 'apps/vsp-cms/dev/values*.yaml' },
      { name: 'prod', path: 'apps/vsp-cms/prod', files: 'apps/vsp-cms/prod/prod.yaml' },
    ]);
  });

  it('puts each environment in its own GitHub environment, the release-wide one by default', () => {
    const plan = checkReleaseRequest({
      ...base,
      githubEnvironment: ' release ',
      environments: JSON.stringify({
        dev: { path: 'apps/vsp-cms/dev' },
        prod: { path: 'apps/vsp-cms/prod', environment: 'Production EU/1' },
      }),
    });
    expect(JSON.parse(environmentsOutput(plan))).toMatchObject([
      { name: 'dev', githubEnvironment: 'release' },
      { name: 'prod', githubEnvironment: 'Production EU/1' },
    ]);
    expect(
      checkReleaseRequest({ ...base, githubEnvironment: 'release' }).environments[0],
    ).toMatchObject({ name: 'default', githubEnvironment: 'release' });
  });

  it('gives the root as `.` and its globs unprefixed', () => {
    const plan = checkReleaseRequest({ app: 'cms', manifestsPath: '.' });
    expect(JSON.parse(environmentsOutput(plan))).toMatchObject([
      { path: '.', files: '**/*.yaml\n**/*.yml' },
    ]);
  });

  it('takes a downgrade with a reason, and a hotfix that builds', () => {
    expect(() =>
      checkReleaseRequest({
        ...base,
        allowDowngrade: true,
        downgradeReason: 'v0.0.418 corrupts uploads',
        hotfixOf: 'v0.0.417',
      }),
    ).not.toThrow();
  });
});
