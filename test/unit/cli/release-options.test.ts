import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exec } from '../../../packages/docker/index.js';
import { runCli } from '../../../packages/cli/cli.js';
import { redact } from '../../../packages/cli/release-command.js';
import { normalizeManifestsPath, selectManifestFiles } from '../../../packages/release/index.js';
import {
  confineConfigPaths,
  confirmationRule,
  parseReleaseConfig,
  repositoryFromRemoteUrl,
  resolveReleaseSettings,
  tokenFromEnv,
  type ReleaseFlags,
} from '../../../packages/cli/release-options.js';

const BASE: ReleaseFlags = {
  app: 'cms',
  registry: '008577686731',
  region: 'us-gov-west-1',
  repository: 'dsva/cms-drupal',
  manifests: 'department-of-veterans-affairs/vsp-infra-application-manifests',
  'manifests-path': 'apps/vsp-cms',
};

function settings(flags: ReleaseFlags, config: ReleaseFlags = {}, env: NodeJS.ProcessEnv = {}) {
  return resolveReleaseSettings(flags, config, env);
}

describe('release settings', () => {
  it('reads the first user command line with the documented defaults', () => {
    expect(settings(BASE)).toMatchObject({
      app: 'cms',
      registryId: '008577686731',
      region: 'us-gov-west-1',
      repository: 'dsva/cms-drupal',
      manifests: {
        owner: 'department-of-veterans-affairs',
        repo: 'vsp-infra-application-manifests',
      },
      manifestsPath: 'apps/vsp-cms',
      appRepository: undefined,
      context: '.',
      sha: undefined,
      mode: 'pull-request',
      startAt: 1,
      ecrVersions: true,
      pinDigest: false,
      dryRun: false,
      yes: false,
      set: [],
      files: undefined,
    });
    expect(settings(BASE).format.template).toBe('v0.0.{n}');
  });

  it('takes values from a config file, and flags win over it', () => {
    const config = parseReleaseConfig(
      [
        'app: cms',
        'registry: 008577686731 # read as text: the leading zeros stay',
        'region: us-gov-west-1',
        'repository: dsva/cms-drupal',
        'manifests: department-of-veterans-affairs/vsp-infra-application-manifests',
        'manifests-path: apps/vsp-cms',
        'team-reviewers: [cms-infrastructure, platform]',
        'set:',
        '  - web.envSecrets[name=DD_VERSION].value={version}',
        'mode: direct',
        'start-at: 400',
        'network: none',
      ].join('\n'),
      'release.yaml',
    );
    const resolved = settings({ mode: 'pull-request', 'team-reviewers': ['cms-leads'] }, config);
    expect(resolved).toMatchObject({
      registryId: '008577686731',
      mode: 'pull-request',
      teamReviewers: ['cms-leads'],
      set: ['web.envSecrets[name=DD_VERSION].value={version}'],
      startAt: 400,
      network: 'none',
      manifestsPath: 'apps/vsp-cms',
    });
  });

  it('reads JSON config files too', () => {
    const config = parseReleaseConfig(
      JSON.stringify({ ...BASE, reviewers: 'alice, bob', 'pin-digest': true }),
      'release.json',
    );
    expect(settings({}, config)).toMatchObject({ reviewers: ['alice', 'bob'], pinDigest: true });
  });

  it('checks the ExternalSecrets parameters by default; --check-parameters takes warn or off only', () => {
    expect(settings(BASE)).toMatchObject({ checkParameters: 'error' });
    expect(settings({ ...BASE, 'check-parameters': 'warn' })).toMatchObject({
      checkParameters: 'warn',
    });
    expect(() => settings({ ...BASE, 'check-parameters': 'no' })).toThrow(
      /^--check-parameters: "no" is not one of error, warn, off$/,
    );
  });

  it('splits comma lists but never --set or --build-arg values', () => {
    expect(
      settings({
        ...BASE,
        labels: ['a,b', 'c'],
        set: ['web.env[name=A].value={version},x'],
        'build-arg': ['LIST=a,b'],
      }),
    ).toMatchObject({
      labels: ['a', 'b', 'c'],
      set: ['web.env[name=A].value={version},x'],
      buildArgs: ['LIST=a,b'],
    });
  });

  it('takes --token-parameter (name or ARN) and refuses a malformed one', () => {
    expect(settings(BASE).tokenParameter).toBeUndefined();
    expect(
      settings({ ...BASE, 'token-parameter': '/devops/VA_VSP_BOT_GITHUB_TOKEN' }).tokenParameter,
    ).toBe('/devops/VA_VSP_BOT_GITHUB_TOKEN');
    expect(() => settings({ ...BASE, 'token-parameter': 'devops/TOKEN' })).toThrow(
      /^--token-parameter: "devops\/TOKEN" has a path but no leading \//,
    );
  });

  it('takes the region from AWS_REGION and the account and region from a registry host', () => {
    const noRegion = { ...BASE, region: undefined };
    expect(settings(noRegion, {}, { AWS_REGION: 'us-gov-east-1' }).region).toBe('us-gov-east-1');
    expect(
      settings({ ...noRegion, registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com' }),
    ).toMatchObject({ registryId: '123456789012', region: 'us-east-1' });
    const noRegistry = { ...BASE, registry: undefined };
    expect(settings(noRegistry).registryId).toBeUndefined();
  });

  it.each<[string, ReleaseFlags, RegExp]>([
    ['app missing', { ...BASE, app: undefined }, /--app is required, e\.g\. --app cms/],
    ['repository missing', { ...BASE, repository: undefined }, /--repository is required/],
    ['manifests missing', { ...BASE, manifests: undefined }, /--manifests is required/],
    [
      'manifests not owner/name',
      { ...BASE, manifests: 'manifests' },
      /--manifests: "manifests" is not a repository/,
    ],
    ['no region anywhere', { ...BASE, region: undefined }, /--region: is required to reach ECR/],
    [
      'unknown region',
      { ...BASE, region: 'us-gov-north-1' },
      /--region: "us-gov-north-1" is not a known AWS region/,
    ],
    ['bad account', { ...BASE, registry: '12345' }, /--registry: "12345" is not an AWS account id/],
    [
      'bad mode',
      { ...BASE, mode: 'merge' },
      /--mode: mode "merge" is not one of pull-request, direct/,
    ],
    ['bad start-at', { ...BASE, 'start-at': '0' }, /--start-at "0" is not a positive whole number/],
    ['bad format', { ...BASE, format: 'v1' }, /--format: "v1" must contain \{n\}/],
    ['bad sha', { ...BASE, sha: 'main' }, /--sha "main" is not a commit SHA/],
    [
      'downgrade without reason',
      { ...BASE, 'allow-downgrade': true },
      /--reason: allow-downgrade needs a reason/,
    ],
    [
      'promote with a build option',
      { ...BASE, 'promote-from': 'v0.0.9', file: 'Dockerfile' },
      /--file configures a build, but --promote-from/,
    ],
  ])('refuses %s', (_name, flags, message) => {
    expect(() => settings(flags)).toThrow(message);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown key', 'app: cms\nmanifest-path: apps/x\n', /unknown key "manifest-path"/],
    ['--yes', 'yes: true\n', /"yes" is a command-line flag only/],
    ['a list where a string goes', 'app: [cms]\n', /"app" must be a string/],
    ['a string where a boolean goes', 'dry-run: "yes"\n', /"dry-run" must be true or false/],
    ['a scalar document', 'cms\n', /must hold a mapping/],
    ['broken YAML', 'app: [cms\n', /is not YAML or JSON/],
  ])('refuses a config file with %s', (_name, text, message) => {
    expect(() => parseReleaseConfig(text, 'release.yaml')).toThrow(message);
  });
});

describe('confirmation rule', () => {
  it.each([
    [{ dryRun: true, yes: false, interactive: false }, 'not-needed'],
    [{ dryRun: true, yes: true, interactive: true }, 'not-needed'],
    [{ dryRun: false, yes: true, interactive: false }, 'assume-yes'],
    [{ dryRun: false, yes: true, interactive: true }, 'assume-yes'],
    [{ dryRun: false, yes: false, interactive: true }, 'ask'],
    [{ dryRun: false, yes: false, interactive: false }, 'refuse'],
  ])('%j -> %s', (options, expected) => {
    expect(confirmationRule(options)).toBe(expected);
  });
});

describe('app repository from the git remote', () => {
  it.each([
    [
      'https://github.com/department-of-veterans-affairs/va.gov-cms.git',
      'department-of-veterans-affairs/va.gov-cms',
    ],
    [
      'https://github.com/department-of-veterans-affairs/va.gov-cms',
      'department-of-veterans-affairs/va.gov-cms',
    ],
    ['https://x-access-token@github.com/octo-org/cms.git/', 'octo-org/cms'],
    ['git@github.com:octo-org/cms.git', 'octo-org/cms'],
    ['ssh://git@github.com/octo-org/cms.git', 'octo-org/cms'],
    ['ssh://git@ghe.example.com:2222/octo-org/cms', 'octo-org/cms'],
  ])('%s -> %s', (url, expected) => {
    const repository = repositoryFromRemoteUrl(url);
    expect(repository && `${repository.owner}/${repository.repo}`).toBe(expected);
  });

  it.each(['/srv/git/cms.git', 'https://github.com/octo-org', '', 'file:///tmp/cms'])(
    '%j is not a GitHub repository',
    (url) => {
      expect(repositoryFromRemoteUrl(url)).toBeUndefined();
    },
  );
});

describe('secrets', () => {
  it('takes GH_TOKEN before GITHUB_TOKEN and ignores empty values', () => {
    expect(tokenFromEnv({ GH_TOKEN: 'a-token', GITHUB_TOKEN: 'b-token' })).toBe('a-token');
    expect(tokenFromEnv({ GH_TOKEN: ' ', GITHUB_TOKEN: 'b-token' })).toBe('b-token');
    expect(tokenFromEnv({})).toBeUndefined();
  });

  it('redacts every secret', () => {
    expect(
      redact('token ghs_abc123 and pw s3cr3t-pw, ghs_abc123 again', ['ghs_abc123', 's3cr3t-pw']),
    ).toBe('token *** and pw ***, *** again');
  });
});

describe('gitops-release release', () => {
  const FLAGS = [
    'release',
    '--app',
    'cms',
    '--registry',
    '008577686731',
    '--region',
    'us-gov-west-1',
    '--repository',
    'dsva/cms-drupal',
    '--manifests',
    'department-of-veterans-affairs/vsp-infra-application-manifests',
    '--manifests-path',
    'apps/vsp-cms',
  ];

  async function cli(
    args: string[],
    options: { interactive?: boolean; env?: NodeJS.ProcessEnv } = {},
  ) {
    let out = '';
    let err = '';
    const commands: string[] = [];
    const exec: Exec = (command, argv) => {
      commands.push([command, ...argv].join(' '));
      return Promise.resolve({ exitCode: 1, stdout: '', stderr: 'not here' });
    };
    const code = await runCli(args, {
      stdin: () => Promise.resolve(''),
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      env: options.env ?? {},
      interactive: options.interactive ?? false,
      exec,
    });
    return { code, out, err, commands };
  }

  it('documents every option in release --help', async () => {
    const result = await cli(['release', '--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--app',
      '--registry',
      '--region',
      '--repository',
      '--manifests',
      '--manifests-path',
      '--app-repository',
      '--context',
      '--file',
      '--sha',
      '--hotfix-of',
      '--promote-from',
      '--mode',
      '--team-reviewers',
      '--dry-run',
      '--yes',
      '--config',
      'GH_TOKEN',
      'GITHUB_API_URL',
    ]) {
      expect(result.out).toContain(option);
    }
    expect((await cli(['--help'])).out).toContain('gitops-release release');
  });

  it('refuses with one line, before anything runs, when it cannot ask and has no --yes', async () => {
    const result = await cli(FLAGS, { env: { GH_TOKEN: 'ghs_secret' } });
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toMatch(
      /^gitops-release: release asks before it pushes .* pass --yes .* or --dry-run/,
    );
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.commands).toEqual([]);
  });

  it.each<[string, string[], NodeJS.ProcessEnv, RegExp]>([
    ['without a token', [...FLAGS, '--yes'], {}, /set GH_TOKEN \(or GITHUB_TOKEN\)/],
    [
      'without a GitHub remote',
      [...FLAGS, '--yes', '--context', '/nonexistent'],
      { GH_TOKEN: 'ghs_secret' },
      /--app-repository is required: \/nonexistent has no GitHub remote origin/,
    ],
    ['with an unknown option', [...FLAGS, '--bogus'], {}, /Unknown option '--bogus'/],
    [
      'with a missing config file',
      ['release', '--config', '/nonexistent.yaml'],
      {},
      /--config \/nonexistent\.yaml cannot be read/,
    ],
  ])('fails with one line and exit 1 %s', async (_name, args, env, message) => {
    const result = await cli(args, { env });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).not.toContain('ghs_secret');
  });
});

describe('--manifests-path and --files: the files a release reads from the manifests tree', () => {
  const TREE = [
    'README.md',
    'apps/vsp-cms/values.yaml',
    'apps/vsp-cms/values-prod.yml',
    'apps/vsp-cms/templates/deployment.yaml',
    'apps/vsp-cms/notes.txt',
    'apps/vsp-cms-old/values.yaml',
    'apps/vets-api/values.yaml',
  ];
  const paths = (root: string, entries?: string[]) =>
    selectManifestFiles(TREE, normalizeManifestsPath(root), entries).map(
      (file) => `${file.path}${file.explicit ? ' (explicit)' : ''}`,
    );

  it('takes every YAML file below the path, and only below it', () => {
    expect(paths('apps/vsp-cms/')).toEqual([
      'apps/vsp-cms/templates/deployment.yaml',
      'apps/vsp-cms/values-prod.yml',
      'apps/vsp-cms/values.yaml',
    ]);
    expect(paths('.')).toHaveLength(5);
  });

  it('takes globs, directories and files relative to the path', () => {
    expect(paths('apps/vsp-cms', ['values*.y*ml'])).toEqual([
      'apps/vsp-cms/values-prod.yml',
      'apps/vsp-cms/values.yaml',
    ]);
    expect(paths('apps', ['vets-api', 'vsp-cms/values.yaml'])).toEqual([
      'apps/vets-api/values.yaml',
      'apps/vsp-cms/values.yaml (explicit)',
    ]);
  });

  it.each([
    ['apps/vsp-cms', ['missing.yaml'], /'missing\.yaml' is not in apps\/vsp-cms/],
    ['apps/vsp-cms', ['../vets-api/values.yaml'], /leaves apps\/vsp-cms/],
    [
      '../elsewhere',
      undefined,
      /input 'manifests-path': path "\.\.\/elsewhere" must stay inside the manifests repository/,
    ],
    ['/apps', undefined, /must stay inside the manifests repository/],
  ])('refuses %s %j', (root, entries, message) => {
    expect(() => paths(root, entries)).toThrow(message);
  });
});

describe("a config file's context and file: inside the config file's directory, as the action's are inside the workspace", () => {
  let root: string;
  let project: string;
  let configFile: string;

  beforeAll(() => {
    // <root>/outside/Dockerfile, and <root>/project/{release.yaml, Dockerfile, app/Dockerfile}.
    root = mkdtempSync(join(tmpdir(), 'cli-config-paths-'));
    project = join(root, 'project');
    mkdirSync(join(root, 'outside'));
    mkdirSync(join(project, 'app'), { recursive: true });
    for (const dir of [join(root, 'outside'), project, join(project, 'app')]) {
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    }
    mkdirSync(join(project, 'linked'));
    symlinkSync('/etc/passwd', join(project, 'linked', 'Dockerfile'));
    symlinkSync(join(root, 'outside'), join(project, 'escape'));
    configFile = join(project, 'release.yaml');
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const confine = (config: ReleaseFlags, flags: ReleaseFlags = {}) =>
    confineConfigPaths(config, configFile, flags);

  it('resolves them against the config file, not the current directory, to real paths', () => {
    expect(confine({ context: 'app' })).toEqual({ context: join(realpathSync(project), 'app') });
    expect(confine({ context: '.', file: 'app/Dockerfile' })).toEqual({
      context: realpathSync(project),
      file: join(realpathSync(project), 'app', 'Dockerfile'),
    });
  });

  it.each<[string, ReleaseFlags, string, string]>([
    ['context ../outside', { context: '../outside' }, 'context', '"../outside" is outside'],
    ['context /', { context: '/' }, 'context', '"/" is outside'],
    ['context through a symlink', { context: 'escape' }, 'context', '"escape" is outside'],
    [
      'context ../project/..',
      { context: '../project/..' },
      'context',
      '"../project/.." is outside',
    ],
    ['context missing', { context: 'missing' }, 'context', '"missing" is not a directory in'],
    ['file /etc/passwd', { file: '/etc/passwd' }, 'file', '"/etc/passwd" is outside'],
    [
      'file ../../etc/passwd',
      { file: `${'../'.repeat(12)}etc/passwd` },
      'file',
      'etc/passwd" is outside',
    ],
    [
      'file ../outside/Dockerfile',
      { file: '../outside/Dockerfile' },
      'file',
      '"../outside/Dockerfile" is outside',
    ],
    [
      'a Dockerfile linked to /etc/passwd',
      { context: 'linked' },
      'file',
      '/linked/Dockerfile" is outside',
    ],
  ])('refuses %s, naming the option and the config file', (_name, config, option, problem) => {
    const refusal = (): unknown => confine(config);
    expect(refusal).toThrow(new RegExp(`^--${option}: "`));
    expect(refusal).toThrow(`${problem} ${configFile}'s directory (${project})`);
  });

  it('leaves alone what a flag overrides, and the Dockerfile of a promotion', () => {
    expect(confine({ context: '/' }, { context: '.' })).toEqual({ context: '/' });
    expect(confine({ file: '/etc/passwd' }, { file: 'Dockerfile' })).toEqual({
      file: '/etc/passwd',
    });
    expect(confine({ context: 'linked', 'promote-from': 'v0.0.1' })).toMatchObject({
      context: join(realpathSync(project), 'linked'),
    });
  });

  it('refuses with one line and exit 1 before git or docker runs', async () => {
    writeFileSync(
      configFile,
      [
        ...Object.entries(BASE).map(([key, value]) => `${key}: "${String(value)}"`),
        'context: ../outside',
        'file: /etc/passwd',
        '',
      ].join('\n'),
    );
    const commands: string[] = [];
    let err = '';
    const code = await runCli(['release', '--config', configFile, '--yes'], {
      stdin: () => Promise.resolve(''),
      stdout: () => undefined,
      stderr: (text) => {
        err += text;
      },
      env: { GH_TOKEN: 'ghs_secret' },
      exec: (command, argv) => {
        commands.push([command, ...argv].join(' '));
        return Promise.resolve({ exitCode: 1, stdout: '', stderr: 'not here' });
      },
    });
    expect(code).toBe(1);
    expect(err).toBe(
      `gitops-release: --context: "../outside" is outside ${configFile}'s directory (${project}): keep a config file's paths inside its directory, or give the option on the command line\n`,
    );
    expect(commands).toEqual([]);
  });
});

describe('newest green settings', () => {
  it('are off by default; on, they need the checks and take the look-back', () => {
    expect(settings(BASE)).toMatchObject({ requireChecks: [], newestGreen: undefined });
    expect(
      settings({ ...BASE, 'require-checks': ['build,test', 'e2e'], 'newest-green': true }),
    ).toMatchObject({ requireChecks: ['build', 'test', 'e2e'], newestGreen: { lookBack: 750 } });
    expect(
      settings({ ...BASE, 'require-checks': ['build'], 'newest-green': true, 'look-back': '250' })
        .newestGreen,
    ).toEqual({ lookBack: 250 });
  });

  it.each<[ReleaseFlags, string]>([
    [{ 'newest-green': true }, '--newest-green: needs --require-checks'],
    [
      { 'newest-green': true, 'require-checks': ['build'], sha: 'abc1234' },
      '--newest-green: chooses the commit itself, so --sha cannot go with it',
    ],
    [
      { 'newest-green': true, 'require-checks': ['build'], 'hotfix-of': 'v0.0.1' },
      '--newest-green: chooses the commit itself, so --hotfix-of cannot go with it',
    ],
    [{ 'look-back': '0' }, '--look-back: "0" is not a whole number from 1 to 2000'],
    [{ 'look-back': '5000' }, '--look-back: "5000" is not a whole number from 1 to 2000'],
  ])('refuses %j', (flags, message) => {
    expect(() => settings({ ...BASE, ...flags })).toThrow(message);
  });
});
