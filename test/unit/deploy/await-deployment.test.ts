import { describe, expect, it } from '@jest/globals';
import { sameImage } from '../../../packages/deploy/index.js';

describe('sameImage', () => {
  it.each([
    ['the same reference', 'r.example.org/cms:v1', 'r.example.org/cms:v1', true],
    [
      'another registry host, same repository and tag',
      'vpce.example.org:5000/cms:v1',
      'r.example.org/cms:v1',
      true,
    ],
    ['a pinned manifest', 'r.example.org/cms:v1@sha256:abc', 'r.example.org/cms:v1', true],
    ['another tag', 'r.example.org/cms:v2', 'r.example.org/cms:v1', false],
    ['a tag that only starts the same', 'r.example.org/cms:v10', 'r.example.org/cms:v1', false],
    ['another repository path', 'r.example.org/team/cms:v1', 'r.example.org/cms:v1', false],
    ['an organisation, not a host', 'dsva/cms:v1', 'other/cms:v1', false],
  ])('%s', (_case, running, expected, same) => {
    expect(sameImage(running, expected)).toBe(same);
  });
});
