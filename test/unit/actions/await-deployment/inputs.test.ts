import { describe, expect, it } from '@jest/globals';
import { getInputs } from '../../../../actions/await-deployment/src/inputs.js';

const SHA = 'a'.repeat(40);
const valid: Record<string, string> = {
  'argocd-server': 'https://argocd.example.org/',
  'argocd-application': 'vsp-cms-dev',
  'argocd-token': 'argocd-secret',
  revision: SHA,
  'app-repository': 'octo-org/cms',
  'app-token': 'ghs_token',
  ref: SHA,
};
const read =
  (inputs: Record<string, string>) =>
  (name: string): string =>
    inputs[name] ?? '';

describe('await-deployment inputs', () => {
  it('takes the token from a Parameter Store parameter instead of the secret', () => {
    const inputs = getInputs(
      read({ ...valid, 'argocd-token': '', 'argocd-token-parameter': ' /devops/ARGOCD_TOKEN ' }),
    );
    expect(inputs).toMatchObject({ token: '', tokenParameter: '/devops/ARGOCD_TOKEN' });
    expect(getInputs(read(valid)).tokenParameter).toBeUndefined();
  });

  it('reports to GitHub only with an environment; the server without its trailing slash', () => {
    const alone = getInputs(read(valid));
    expect(alone).toMatchObject({ server: 'https://argocd.example.org', github: undefined });
    expect(alone.timeoutMs).toBe(600_000);
    expect(alone.pollIntervalMs).toBe(10_000);
    // No token to report with (the workflow's optional secret not given): waits, reports nothing.
    expect(
      getInputs(read({ ...valid, environment: 'dev', 'app-token': '' })).github,
    ).toBeUndefined();
    const reported = getInputs(read({ ...valid, environment: 'dev', version: 'v0.0.418' }));
    expect(reported.github).toEqual({
      repository: { owner: 'octo-org', repo: 'cms' },
      token: 'ghs_token',
      ref: SHA,
    });
  });

  it.each([
    [{ 'argocd-server': 'https://argocd.example.org?token=x' }, "input 'argocd-server'"],
    [{ 'argocd-application': 'Vsp_CMS' }, "input 'argocd-application'"],
    [{ revision: 'HEAD' }, "input 'revision'"],
    [{ image: 'cms v1' }, "input 'image'"],
    [{ environment: 'dev', version: 'v1', 'app-repository': 'nope' }, "input 'app-repository'"],
    [{ 'poll-interval': '1.5' }, "input 'poll-interval'"],
    [{ 'argocd-token': '' }, "input 'argocd-token': is empty"],
    [
      { 'argocd-token-parameter': '/devops/ARGOCD_TOKEN' },
      "input 'argocd-token-parameter': is given as well as argocd-token",
    ],
    [
      { 'argocd-token': '', 'argocd-token-parameter': 'no spaces allowed' },
      "input 'argocd-token-parameter'",
    ],
  ])('refuses %j', (change, message) => {
    expect(() => getInputs(read({ ...valid, ...change }))).toThrow(message);
  });
});
