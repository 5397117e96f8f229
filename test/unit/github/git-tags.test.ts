import { describe, expect, it } from '@jest/globals';
import {
  gitAuthorization,
  GitProtocolUnavailable,
  gitRemoteUrl,
  listTagsOverGit,
} from '../../../packages/github/index.js';

const repository = { owner: 'octo-org', repo: 'cms' };

describe('gitRemoteUrl', () => {
  it.each([
    ['https://github.com', 'https://api.github.com', 'https://github.com/octo-org/cms.git'],
    [
      'https://ghes.example',
      'https://ghes.example/api/v3',
      'https://ghes.example/octo-org/cms.git',
    ],
    ['https://acme.ghe.com/', 'https://api.acme.ghe.com', 'https://acme.ghe.com/octo-org/cms.git'],
    [undefined, undefined, 'https://github.com/octo-org/cms.git'],
    ['', 'https://ghes.example/api/v3', 'https://ghes.example/octo-org/cms.git'],
    [undefined, 'http://127.0.0.1:4000', 'http://127.0.0.1:4000/octo-org/cms.git'],
  ])('server %s with API %s: %s', (serverUrl, apiUrl, url) => {
    expect(gitRemoteUrl(repository, { serverUrl, apiUrl })).toEqual({ url });
  });

  it.each([
    // The token of the API's host would go to another one.
    ['https://github.com', 'http://127.0.0.1:4000'],
    ['https://evil.example', 'https://api.github.com'],
    ['https://github.com', 'https://api.github.com.evil.example'],
    ['http://github.com', 'https://api.github.com'],
    ['file:///tmp', 'file:///tmp'],
    ['not a url', 'https://api.github.com'],
  ])('server %s with API %s: no git URL, and why', (serverUrl, apiUrl) => {
    const remote = gitRemoteUrl(repository, { serverUrl, apiUrl });
    expect('reason' in remote ? remote.reason : remote.url).toMatch(
      /^GITHUB_SERVER_URL .* is not (the server of GITHUB_API_URL .*|a URL)$/,
    );
  });
});

function pkt(text: string): string {
  return (text.length + 4).toString(16).padStart(4, '0') + text;
}

const V2 = pkt('version 2\n') + pkt('agent=git/2.39\n') + pkt('ls-refs=unborn\n') + '0000';
const SHA = 'a'.repeat(40);
const TAG = 'b'.repeat(40);

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch port answering the two requests with `info` and `upload`, recording what was sent. */
function fakeFetch(
  info: { body: string; type?: string; status?: number },
  upload: { body: string; type?: string } = { body: '0000' },
) {
  const sent: Sent[] = [];
  const port = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof URL ? input.href : typeof input === 'string' ? input : input.url;
    const body = init?.body instanceof Uint8Array ? Buffer.from(init.body).toString('utf8') : '';
    sent.push({ url, headers: init?.headers as Record<string, string>, body });
    const answer = url.endsWith('/info/refs?service=git-upload-pack')
      ? {
          body: info.body,
          type: info.type ?? 'application/x-git-upload-pack-advertisement',
          status: info.status ?? 200,
        }
      : {
          body: upload.body,
          type: upload.type ?? 'application/x-git-upload-pack-result',
          status: 200,
        };
    return Promise.resolve(
      new Response(answer.body, {
        status: answer.status,
        headers: { 'content-type': answer.type },
      }),
    );
  };
  return { sent, port: port };
}

const list = (port: typeof fetch) =>
  listTagsOverGit('https://github.com/octo-org/cms.git', 'cms/v0.0.', {
    token: 'ghs_unit_secret',
    fetch: port,
  });

describe('listTagsOverGit', () => {
  it('asks ls-refs for the prefix with peel; the token goes only in the Basic header', async () => {
    const { sent, port } = fakeFetch(
      { body: V2 },
      {
        body:
          pkt(`${SHA} refs/tags/cms/v0.0.1\n`) +
          pkt(`${TAG} refs/tags/cms/v0.0.2 peeled:${SHA}\n`) +
          // A server that ignored ref-prefix: kept out all the same.
          pkt(`${SHA} refs/heads/cms/v0.0.3\n`) +
          pkt(`${SHA} refs/tags/other/v0.0.4\n`) +
          '0000',
      },
    );
    expect(await list(port)).toEqual([
      { name: 'cms/v0.0.1', objectSha: SHA, objectType: 'commit' },
      { name: 'cms/v0.0.2', objectSha: TAG, objectType: 'tag', peeledSha: SHA },
    ]);
    expect(sent.map((request) => request.url)).toEqual([
      'https://github.com/octo-org/cms.git/info/refs?service=git-upload-pack',
      'https://github.com/octo-org/cms.git/git-upload-pack',
    ]);
    expect(sent[1]?.body).toBe(
      pkt('command=ls-refs\n') +
        pkt('agent=git/gitops-release-actions\n') +
        '0001' +
        pkt('peel\n') +
        pkt('ref-prefix refs/tags/cms/v0.0.\n') +
        '0000',
    );
    for (const request of sent) {
      expect(request.headers).toMatchObject({
        authorization: gitAuthorization('ghs_unit_secret'),
        'git-protocol': 'version=2',
      });
      const elsewhere = JSON.stringify({
        ...request,
        headers: { ...request.headers, authorization: '' },
      });
      expect(elsewhere).not.toContain('ghs_unit_secret');
    }
    expect(gitAuthorization('ghs_unit_secret')).toBe(
      `Basic ${Buffer.from('x-access-token:ghs_unit_secret').toString('base64')}`,
    );
  });

  it.each([
    [
      'a protocol v0 advertisement',
      {
        body:
          pkt('# service=git-upload-pack\n') + '0000' + pkt(`${SHA} HEAD\0multi_ack\n`) + '0000',
      },
      /does not speak git protocol version 2/,
    ],
    [
      'no ls-refs',
      { body: pkt('version 2\n') + pkt('fetch=shallow\n') + '0000' },
      /does not offer ls-refs/,
    ],
    [
      'a sign-in page (200, HTML)',
      { body: '<html>sign in</html>', type: 'text/html' },
      /answered text\/html, not application\/x-git-upload-pack-advertisement/,
    ],
    [
      '401',
      { body: 'Invalid username or token.', type: 'text/plain', status: 401 },
      /answered 401 \(the token was refused\)/,
    ],
    ['a malformed packet', { body: 'zzzzversion 2\n' }, /malformed git packet/],
    ['a packet longer than the answer', { body: 'ffffversion 2\n' }, /malformed git packet/],
  ])('gives up on %s (the API lists instead)', async (_what, info, message) => {
    const { port } = fakeFetch(info);
    const listing = list(port);
    await expect(listing).rejects.toBeInstanceOf(GitProtocolUnavailable);
    await expect(listing).rejects.toThrow(message);
  });

  it('gives up on an ERR packet in the answer', async () => {
    const { port } = fakeFetch({ body: V2 }, { body: pkt('ERR upload-pack: not our ref\n') });
    await expect(list(port)).rejects.toThrow(
      'https://github.com/octo-org/cms.git answered: upload-pack: not our ref',
    );
  });
});
