/**
 * A release on the local sandbox: the committed compute-version bundle, run under Node 24 as the
 * Actions runner runs it, against the local GitHub API server backed by real git repositories.
 * (ECR, the manifest update and the manifest PR join this chain as their issues land.)
 */
import { runAction, type ActionRun } from '../test/support/action-runner.js';
import { startGitHubServer } from '../test/support/github-server.js';

function show(title: string, run: ActionRun): void {
  console.log(`\n=== ${title}: exit code ${String(run.exitCode)}`);
  for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`);
  const failure = /::error::(.*)/.exec(run.stdout);
  if (failure?.[1]) console.log(`  error: ${failure[1]}`);
  if (run.summary.trim() !== '')
    console.log(`\n  job summary:\n${run.summary.replace(/^/gm, '    ')}`);
}

const server = await startGitHubServer();
try {
  const repo = await server.createRepo('octo-org/cms');
  const first = await repo.head();
  await repo.createTags(['v0.0.998', 'v0.0.999', 'latest'], first);
  const sha = await repo.commit('Add the contact form', { 'web/form.php': '<?php // form' });
  console.log(
    `GitHub test server at ${server.url}; repository ${repo.fullName} (git dir ${repo.gitDir})`,
  );
  console.log(
    `tags: v0.0.998, v0.0.999, latest on ${first.slice(0, 7)}; releasing ${sha.slice(0, 7)}`,
  );

  const github = { token: 'ghs_demo_token', repository: repo.fullName, sha };
  const env = { GITHUB_API_URL: server.url };
  const action = 'actions/compute-version';

  show('compute-version (scheduled run)', await runAction({ action, github, env }));
  show(
    're-run for the same commit (the first run died before finishing)',
    await runAction({ action, github, env }),
  );
  repo.createRelease('v0.0.1000');
  show('scheduled run after the release was published', await runAction({ action, github, env }));
  show(
    'bad input',
    await runAction({ action, github, env, inputs: { format: 'v0.0.', 'start-at': '1' } }),
  );
  console.log(`\ngit tags now: ${[...(await repo.tags()).keys()].join(', ')}`);
} finally {
  await server.close();
}
