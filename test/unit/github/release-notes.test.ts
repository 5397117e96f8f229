/** Commit text in a release body: what someone who can push a commit would try first. */
import { describe, expect, it } from '@jest/globals';
import { inertMarkdown } from '../../../packages/github/index.js';

describe('inertMarkdown', () => {
  it.each<[string, string, string]>([
    ['a team mention', 'Ping @va-org/cms-infrastructure', 'Ping `@va-org/cms-infrastructure`'],
    ['a user mention', '@octocat please merge', '`@octocat` please merge'],
    [
      'a folding details tag',
      '<details><summary>x</summary>',
      '\\<details\\>\\<summary\\>x\\</summary\\>',
    ],
    ['a comment that hides the rest', 'fix <!-- ', 'fix \\<\\!-- '],
    [
      'a tracking image',
      '![x](https://tracker.example/p.png)',
      '\\!\\[x\\](https://tracker.example/p.png)',
    ],
    ['a link', '[docs](javascript:alert(1))', '\\[docs\\](javascript:alert(1))'],
    ['emphasis and a table', '**urgent** | col |', '\\*\\*urgent\\*\\* \\| col \\|'],
    ['a code span', 'use `rm -rf`', 'use \\`rm -rf\\`'],
    ['a backslash', 'path C:\\x', 'path C:\\\\x'],
  ])('renders %s inert', (_case, subject, inert) => {
    expect(inertMarkdown(subject)).toBe(inert);
  });

  it('leaves plain text, issue references and email addresses as they are', () => {
    expect(inertMarkdown('fix: cache headers (octo-org/cms#12), thanks dev@example.com')).toBe(
      'fix: cache headers (octo-org/cms#12), thanks dev@example.com',
    );
  });
});
