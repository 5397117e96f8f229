/**
 * `npm run demo`: whole releases on the local sandbox (test/support/sandbox.ts), each one the committed
 * command-line bundle `dist/cli/index.js` run as a child process with the sandbox's environment:
 *
 *   0. a dry run: the plan, and nothing changed anywhere;
 *   1. a scheduled release: tag, image build and push, manifest pull request, GitHub release;
 *   2. the next scheduled run with no new commit: skipped;
 *   3. the infrastructure team merges v0.0.1 (production runs it); a new commit and its release,
 *      whose pull request waits for review;
 *   4. the emergency: `gitops-release hotfix v0.0.1 --from hotfix/v0.0.1`, built from its branch;
 *      its pull request stays open beside v0.0.2's, which is told it lacks the fix;
 *   5. the hotfix is merged first: the manifests run v0.0.1-1 while v0.0.2 is still pending.
 *
 * Then it prints the tags, digests, pull requests (with the diff) and how to look at each part.
 * On a fresh Debian machine it first installs what the sandbox needs (dockerd, registry, busybox,
 * htpasswd), as .ci/run does. `npm run demo -- --keep` leaves the sandbox up until Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { SAMPLE, startSandbox, type Sandbox, type SampleProject } from '../test/support/sandbox.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli/index.js');
const DEBIAN_PACKAGES = ['docker.io', 'docker-registry', 'busybox-static', 'apache2-utils'];
const NEEDED = [
  '/usr/sbin/dockerd',
  '/usr/bin/docker',
  '/usr/bin/docker-registry',
  '/usr/bin/busybox',
  '/usr/bin/htpasswd',
];
const keep = process.argv.includes('--keep');
const started = performance.now();

function heading(title: string): void {
  console.log(`\n${'='.repeat(100)}\n${title}\n${'='.repeat(100)}`);
}

function indent(text: string, prefix = '  '): string {
  return text.replace(/\n$/, '').replace(/^/gm, prefix);
}

/** What a fresh machine lacks, installed the way .ci/run does (only when missing). */
function ensureMachine(): void {
  const missing = NEEDED.filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  console.log(`missing ${missing.join(', ')}: installing ${DEBIAN_PACKAGES.join(' ')}`);
  const install = spawnSync(
    'bash',
    [join(ROOT, 'scripts/ensure-debian-packages.sh'), ...DEBIAN_PACKAGES],
    { stdio: 'inherit' },
  );
  if (install.status !== 0) {
    throw new Error('could not install the Debian packages the sandbox needs (see above)');
  }
}

/** Runs the CLI bundle like a person would, its output shown with a gutter; returns the exit code. */
function gitopsRelease(sandbox: Sandbox, args: readonly string[]): Promise<number> {
  console.log(`\n$ gitops-release ${args.join(' ')}`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: sandbox.childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    const show = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) console.log(`  │ ${line}`);
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('error', fail);
    child.on('close', (code) => {
      if (partial !== '') console.log(`  │ ${partial}`);
      console.log(`  (exit code ${String(code ?? 1)})`);
      done(code ?? 1);
    });
  });
}

async function expectExit(promise: Promise<number>, expected: number): Promise<void> {
  const code = await promise;
  if (code !== expected)
    throw new Error(`gitops-release exited ${String(code)}, expected ${String(expected)}`);
}

function git(repoGitDir: string, args: readonly string[]): string {
  const result = spawnSync('git', [`--git-dir=${repoGitDir}`, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

async function gitHub(sandbox: Sandbox, path: string): Promise<unknown> {
  const response = await fetch(`${sandbox.github.url}${path}`, {
    headers: { authorization: `token ${sandbox.token}` },
  });
  return response.json();
}

/** The infrastructure team approves: the pull request merged through the API (squash). */
async function mergePull(sandbox: Sandbox, project: SampleProject, head: string): Promise<void> {
  const pull = (await project.manifestsRepo.pulls()).find(
    (candidate) => candidate.head === head && candidate.state === 'open',
  );
  if (pull === undefined) throw new Error(`no open pull request from ${head}`);
  const response = await fetch(
    `${sandbox.github.url}/repos/${project.manifestsRepo.fullName}/pulls/${String(pull.number)}/merge`,
    {
      method: 'PUT',
      headers: { authorization: `token ${sandbox.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'squash' }),
    },
  );
  if (response.status !== 200)
    throw new Error(`merging #${String(pull.number)}: ${await response.text()}`);
  console.log(`
  merged #${String(pull.number)} (${head}) into ${pull.base}`);
}

async function tagList(project: SampleProject): Promise<string> {
  const tags = [...(await project.appRepo.tags())].map(
    ([name, sha]) => `${name} -> ${sha.slice(0, 7)}`,
  );
  return tags.length === 0 ? '(none)' : tags.join(', ');
}

async function showState(sandbox: Sandbox, project: SampleProject): Promise<void> {
  const { appRepo, manifestsRepo } = project;
  heading('What the sandbox holds now');

  console.log(`\nGit tags in ${appRepo.fullName} (the reserved versions):`);
  console.log(
    indent(
      git(appRepo.gitDir, [
        'for-each-ref',
        '--sort=creatordate',
        '--format=%(refname:lstrip=2)  %(objectname:short)  %(contents:subject)',
        'refs/tags',
      ]),
    ),
  );
  // Each tag names a commit; its message is the commit's subject.
  const releases = (await gitHub(sandbox, `/repos/${appRepo.fullName}/releases`)) as {
    tag_name: string;
    name: string;
    html_url: string;
  }[];
  console.log(
    `\nGitHub releases in ${appRepo.fullName} (the "finished" mark compute-version reads):`,
  );
  for (const release of releases)
    console.log(`  ${release.tag_name.padEnd(10)} ${release.name.padEnd(16)} ${release.html_url}`);

  console.log(
    `\nImages in ECR ${project.ecrRepository} (served by the registry at ${sandbox.registry.host}):`,
  );
  for (const tag of (await sandbox.registry.api.tags(project.ecrRepository)).sort()) {
    const head = await sandbox.registry.api.headManifest(project.ecrRepository, tag);
    console.log(`  ${tag.padEnd(10)} ${head?.digest ?? '?'}`);
  }

  console.log(`\nPull requests in ${manifestsRepo.fullName}:`);
  const pulls = await manifestsRepo.pulls();
  for (const pull of pulls) {
    console.log(
      `  #${String(pull.number)} ${pull.state.padEnd(6)} ${pull.title.padEnd(24)} ${pull.head} -> ${pull.base}  labels: ${pull.labels.join(', ')}  reviewers: ${pull.requestedTeams.map((team) => `@${team}`).join(', ')}${
        pull.comments.length > 0 ? `  (${pull.comments.join(' ')})` : ''
      }`,
    );
  }
  const open = pulls.filter((pull) => pull.state === 'open');
  const newest = open.find((pull) => pull.head === 'release/cms/v0.0.2') ?? open[0];
  if (newest) {
    console.log(`\nThe diff of #${String(newest.number)} (${newest.head}), as reviewers see it:`);
    console.log(indent(git(manifestsRepo.gitDir, ['diff', `${newest.base}...${newest.head}`])));
    console.log(`\nIts description:`);
    console.log(indent(newest.body ?? ''));
  }
}

function showHowToInspect(
  sandbox: Sandbox,
  project: SampleProject,
  envFile: string | undefined,
): void {
  heading('How to look at each part');
  const { appRepo, manifestsRepo } = project;
  const load =
    envFile === undefined
      ? ''
      : `set -a; . ${envFile}; set +a   # the sandbox's GITHUB_API_URL, GH_TOKEN, AWS_*, DOCKER_HOST, REGISTRY_*\n`;
  console.log(
    indent(
      [
        load +
          `git --git-dir=${appRepo.gitDir} log --oneline --decorate --all      # app repository: commits, tags, hotfix branch`,
        `git --git-dir=${manifestsRepo.gitDir} log --oneline --decorate --all  # manifests: release branches`,
        `curl -s -H "authorization: token $GH_TOKEN" $GITHUB_API_URL/repos/${manifestsRepo.fullName}/pulls?state=all`,
        `curl -s -H "authorization: token $GH_TOKEN" $GITHUB_API_URL/repos/${appRepo.fullName}/releases`,
        `curl -s -u "AWS:$REGISTRY_PASSWORD" http://${sandbox.registry.host}/v2/${project.ecrRepository}/tags/list   # the registry`,
        `DOCKER_HOST=${sandbox.daemon.host} /usr/bin/docker image ls   # what the builds left in the engine`,
        `node dist/cli/index.js release --config ${join(sandbox.dir, 'release.yaml')} --dry-run   # plan the next release`,
      ].join('\n'),
    ),
  );
  if (envFile === undefined)
    console.log('\n  (npm run demo -- --keep leaves the sandbox running to try these)');
}

async function main(): Promise<void> {
  ensureMachine();
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build it with node scripts/package.mjs cli`);
  heading('The sandbox: real dockerd, registry + ECR API, GitHub API backed by git');
  const sandbox = await startSandbox({
    log: (line) => {
      console.log(`  ${line}`);
    },
  });
  const stop = (): void => {
    void sandbox.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const project = sandbox.sample;
    const configFile = join(sandbox.dir, 'release.yaml');
    writeFileSync(configFile, toYaml(project.releaseConfig));
    console.log(`\nThe release settings (${configFile}); flags on the command line override them:`);
    console.log(indent(toYaml(project.releaseConfig)));
    console.log(
      `The values file Argo CD deploys from, ${project.manifestsPath}/values.yaml at main:`,
    );
    console.log(
      indent(
        git(project.manifestsRepo.gitDir, ['show', `main:${project.manifestsPath}/values.yaml`]),
      ),
    );
    const config = ['--config', configFile];

    heading(
      '0. What would a release do? A dry run computes, builds and edits, and changes nothing',
    );
    const before = await tagList(project);
    await expectExit(gitopsRelease(sandbox, ['release', ...config, '--dry-run']), 0);
    console.log(
      `\n  tags before: ${before}; after: ${await tagList(project)}; image tags in ECR: ${(await sandbox.registry.api.tags(project.ecrRepository).catch(() => [])).join(', ') || '(none)'}; manifest branches: ${git(project.manifestsRepo.gitDir, ['branch', '--format=%(refname:short)']).replace(/\n/g, ', ')}`,
    );

    heading('1. The scheduled release (no terminal to ask on, so --yes)');
    await expectExit(gitopsRelease(sandbox, ['release', ...config]), 1);
    await expectExit(gitopsRelease(sandbox, ['release', ...config, '--yes']), 0);
    const first = git(project.appRepo.gitDir, ['rev-parse', 'v0.0.1^{commit}']);

    heading('2. The next scheduled run, with no new commit: nothing to release');
    await expectExit(gitopsRelease(sandbox, ['release', ...config, '--yes']), 0);

    heading(
      '3. The infrastructure team merges v0.0.1 (production runs it); a new commit, and its release waits for review',
    );
    await mergePull(sandbox, project, 'release/cms/v0.0.1');
    await project.commit('Add the contact page', {
      'web/contact.html': '<!doctype html>\n<h1>Contact us</h1>\n',
    });
    await expectExit(gitopsRelease(sandbox, ['release', ...config, '--yes']), 0);

    heading(
      `4. A hotfix of v0.0.1 (production), on the branch hotfix/v0.0.1 from its commit ${first.slice(0, 7)}`,
    );
    await project.commit(
      'Fix the page title',
      { 'web/index.html': '<!doctype html>\n<h1>Welcome to VA.gov!</h1>\n' },
      { branch: 'hotfix/v0.0.1', from: first },
    );
    // The operator's checkout goes back to main: --from builds the branch from a worktree.
    spawnSync('git', ['-C', project.checkout, 'checkout', '--quiet', 'main']);
    await expectExit(
      gitopsRelease(sandbox, ['hotfix', 'v0.0.1', '--from', 'hotfix/v0.0.1', ...config, '--yes']),
      0,
    );
    const hotfixPull = (await project.manifestsRepo.pulls()).find(
      (pull) => pull.head === 'release/cms/v0.0.1-1',
    );
    console.log(
      `\n  The hotfix's pull request #${String(hotfixPull?.number)} (${hotfixPull?.state ?? '?'}):`,
    );
    console.log(indent(hotfixPull?.body ?? '', '    '));

    heading('5. The hotfix is merged first: production runs v0.0.1-1 while v0.0.2 waits');
    await mergePull(sandbox, project, 'release/cms/v0.0.1-1');
    console.log(
      indent(
        git(project.manifestsRepo.gitDir, ['show', `main:${project.manifestsPath}/values.yaml`]),
      ),
    );

    heading('6. The release waits until Argo CD runs the hotfix Healthy, and reports it to GitHub');
    await expectExit(
      gitopsRelease(sandbox, [
        'await-deployment',
        '--argocd-server',
        sandbox.argo.url,
        '--argocd-application',
        project.app,
        '--revision',
        git(project.manifestsRepo.gitDir, ['rev-parse', 'main']),
        '--image',
        `${SAMPLE.accountId}.dkr.ecr.${SAMPLE.region}.amazonaws.com/${project.ecrRepository}:v0.0.1-1`,
        '--version',
        'v0.0.1-1',
        '--environment',
        'prod',
        '--app-repository',
        project.appRepo.fullName,
        '--ref',
        'v0.0.1-1',
        '--poll-interval',
        '1',
      ]),
      0,
    );
    const deployments = (await gitHub(
      sandbox,
      `/repos/${project.appRepo.fullName}/deployments`,
    )) as { environment: string; payload: { version?: string } }[];
    console.log(
      `\n  ${project.appRepo.fullName} Deployments: ${deployments.map((deployment) => `${deployment.environment} ${deployment.payload.version ?? ''}`).join(', ')}`,
    );

    heading(
      '7. An ExternalSecret names an SSM parameter that does not exist: the release stops before anything is reserved',
    );
    const secretFile = `${project.manifestsPath}/external-secret.yaml`;
    const parameter = '/dsva-vagov/vsp-cms/drupal_db_password';
    await project.manifestsRepo.commit('vsp-cms: the database password from SSM', {
      [secretFile]: [
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: vsp-cms-secrets, namespace: vsp-cms}',
        'spec:',
        '  backendType: systemManager',
        '  data:',
        `    - key: ${parameter}`,
        '      name: DB_PASSWORD',
        '',
      ].join('\n'),
    });
    console.log(indent(git(project.manifestsRepo.gitDir, ['show', `main:${secretFile}`])));
    await project.commit('Read the database password', {
      'web/status.html': '<!doctype html>\n<h1>Status</h1>\n',
    });
    const tagsBefore = await tagList(project);
    await expectExit(gitopsRelease(sandbox, ['release', ...config, '--yes']), 1);
    console.log(`\n  tags before: ${tagsBefore}; after: ${await tagList(project)}`);
    console.log(`\n  Creating ${parameter} in SSM, then releasing again:`);
    sandbox.ssm.putParameter({ name: parameter, value: randomBytes(12).toString('hex') });
    await expectExit(gitopsRelease(sandbox, ['release', ...config, '--yes']), 0);

    await showState(sandbox, project);
    let envFile: string | undefined;
    if (keep) {
      envFile = join(sandbox.dir, 'sandbox.env');
      const variables = { ...sandbox.env, REGISTRY_PASSWORD: sandbox.registry.password };
      writeFileSync(
        envFile,
        Object.entries(variables)
          .map(([name, value]) => `${name}='${value}'\n`)
          .join(''),
        { mode: 0o600 },
      );
    }
    showHowToInspect(sandbox, project, envFile);
    console.log(`\nDemo finished in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
    if (keep) {
      console.log(
        'The sandbox keeps running: press Ctrl-C to stop it (it cleans up after itself).',
      );
      await new Promise(() => undefined);
    }
  } finally {
    await sandbox.close();
  }
}

try {
  await main();
} catch (error: unknown) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
