import { describe, expect, it } from '@jest/globals';
import { unifiedDiff } from '../../../packages/manifest/index.js';

describe('unifiedDiff', () => {
  const lines = (count: number): string =>
    Array.from({ length: count }, (_, index) => `line${String(index + 1)}\n`).join('');
  const replaceLine = (text: string, line: number, replacement: string) => {
    const start = text.indexOf(`line${String(line)}\n`);
    return { start, end: start + `line${String(line)}`.length, text: replacement };
  };

  it('writes headers, hunks with 3 lines of context and GNU ranges', () => {
    const before = lines(20);
    expect(unifiedDiff('a/values.yaml', before, [replaceLine(before, 10, 'ten')])).toBe(
      [
        '--- a/a/values.yaml',
        '+++ b/a/values.yaml',
        '@@ -7,7 +7,7 @@',
        ' line7',
        ' line8',
        ' line9',
        '-line10',
        '+ten',
        ' line11',
        ' line12',
        ' line13',
        '',
      ].join('\n'),
    );
  });

  it('joins changes whose context touches, splits the others', () => {
    const before = lines(30);
    const joined = unifiedDiff('x', before, [
      replaceLine(before, 2, 'two'),
      replaceLine(before, 8, 'eight'),
    ]);
    expect(joined.match(/^@@/gm)).toHaveLength(1);
    expect(joined).toContain('@@ -1,11 +1,11 @@');
    const split = unifiedDiff('x', before, [
      replaceLine(before, 2, 'two'),
      replaceLine(before, 10, 'ten'),
    ]);
    expect(split.match(/^@@ .* @@$/gm)).toEqual(['@@ -1,5 +1,5 @@', '@@ -7,7 +7,7 @@']);
  });

  it('groups adjacent changed lines and counts inserted lines', () => {
    const before = 'a\nb\nc\n';
    const diff = unifiedDiff('x', before, [
      { start: 0, end: 1, text: 'A' },
      { start: 2, end: 3, text: 'B' },
      { start: 4, end: 4, text: 'new\n' },
    ]);
    expect(diff).toBe('--- a/x\n+++ b/x\n@@ -1,3 +1,4 @@\n-a\n-b\n+A\n+B\n+new\n c\n');
  });

  it('marks a missing final newline', () => {
    const before = 'a\nb';
    expect(unifiedDiff('x', before, [{ start: 2, end: 3, text: 'c' }])).toBe(
      '--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
    );
    expect(unifiedDiff('x', before, [{ start: 3, end: 3, text: '\nc' }])).toBe(
      '--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n',
    );
  });

  it('keeps carriage returns and says nothing for no change', () => {
    expect(unifiedDiff('x', 'a\r\n', [{ start: 0, end: 1, text: 'b' }])).toBe(
      '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\r\n+b\r\n',
    );
    expect(unifiedDiff('x', 'a\n', [{ start: 0, end: 1, text: 'a' }])).toBe('');
    expect(unifiedDiff('x', 'a\n', [])).toBe('');
  });
});
