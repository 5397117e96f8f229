/**
 * Unified diffs (`--- a/x`, `+++ b/x`, `@@` hunks, 3 lines of context) built from the splices that
 * made the change: the changed lines are known, so no general diff search is needed and the cost
 * stays linear in the file size.
 */

/** Replace `before[start, end)` with `text`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const CONTEXT_LINES = 3;
const NO_NEWLINE = '\\ No newline at end of file';

/** Applies non-overlapping edits (any order) to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let result = '';
  let position = 0;
  for (const edit of sorted) {
    if (edit.start < position) throw new Error('internal: overlapping edits');
    result += text.slice(position, edit.start) + edit.text;
    position = edit.end;
  }
  return result + text.slice(position);
}

/** Lines with their terminators; a missing final newline leaves the last line without one. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) break;
    lines.push(text.slice(start, newline + 1));
    start = newline + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) {
    if (index + 1 < text.length) starts.push(index + 1);
  }
  return text === '' ? [] : starts;
}

/** Index of the line holding offset `position`; the line count for the end of a newline-ended text. */
function lineIndexAt(text: string, starts: readonly number[], position: number): number {
  if (position >= text.length && (text === '' || text.endsWith('\n'))) return starts.length;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] ?? 0) <= position) low = middle;
    else high = middle - 1;
  }
  return low;
}

interface LineChange {
  /** 0-based index of the first removed line in the old text (or where lines are inserted). */
  readonly oldStart: number;
  readonly newStart: number;
  readonly removed: readonly string[];
  readonly added: readonly string[];
}

function lineChanges(before: string, edits: readonly TextEdit[]): LineChange[] {
  const starts = lineStartsOf(before);
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  // Group edits by the whole lines they touch, so each group becomes old lines -> new lines.
  const groups: { first: number; last: number; edits: TextEdit[] }[] = [];
  for (const edit of sorted) {
    const first = lineIndexAt(before, starts, edit.start);
    const last = Math.max(first, lineIndexAt(before, starts, Math.max(edit.start, edit.end - 1)));
    const previous = groups.at(-1);
    if (previous && first <= previous.last) {
      previous.last = Math.max(previous.last, last);
      previous.edits.push(edit);
    } else {
      groups.push({ first, last, edits: [edit] });
    }
  }
  const changes: LineChange[] = [];
  let lineDelta = 0;
  for (const group of groups) {
    const segmentStart = starts[group.first] ?? before.length;
    const segmentEnd = starts[group.last + 1] ?? before.length;
    const oldLines = splitLines(before.slice(segmentStart, segmentEnd));
    const newLines = splitLines(
      applyEdits(
        before.slice(segmentStart, segmentEnd),
        group.edits.map((edit) => ({
          ...edit,
          start: edit.start - segmentStart,
          end: edit.end - segmentStart,
        })),
      ),
    );
    let head = 0;
    while (head < oldLines.length && head < newLines.length && oldLines[head] === newLines[head]) {
      head += 1;
    }
    let tail = 0;
    while (
      tail < oldLines.length - head &&
      tail < newLines.length - head &&
      oldLines[oldLines.length - 1 - tail] === newLines[newLines.length - 1 - tail]
    ) {
      tail += 1;
    }
    const removed = oldLines.slice(head, oldLines.length - tail);
    const added = newLines.slice(head, newLines.length - tail);
    if (removed.length === 0 && added.length === 0) continue;
    const oldStart = group.first + head;
    const previous = changes.at(-1);
    if (previous && previous.oldStart + previous.removed.length === oldStart) {
      // Adjacent changed lines read better as one block of removals, then one of additions.
      changes[changes.length - 1] = {
        ...previous,
        removed: [...previous.removed, ...removed],
        added: [...previous.added, ...added],
      };
    } else {
      changes.push({ oldStart, newStart: oldStart + lineDelta, removed, added });
    }
    lineDelta += added.length - removed.length;
  }
  return changes;
}

function hunkRange(start: number, count: number): string {
  // GNU diff's convention: an empty range names the line before it; a count of 1 is left out.
  if (count === 0) return `${String(start)},0`;
  return count === 1 ? String(start + 1) : `${String(start + 1)},${String(count)}`;
}

function emit(output: string[], marker: string, line: string): void {
  if (line.endsWith('\n')) {
    output.push(marker + line.slice(0, -1));
  } else {
    output.push(marker + line, NO_NEWLINE);
  }
}

/** A unified diff of `before` and `before` with `edits` applied; '' when nothing changes. */
export function unifiedDiff(file: string, before: string, edits: readonly TextEdit[]): string {
  const changes = lineChanges(before, edits);
  if (changes.length === 0) return '';
  const oldLines = splitLines(before);
  const output = [`--- a/${file}`, `+++ b/${file}`];
  let index = 0;
  while (index < changes.length) {
    // A hunk takes every following change whose context would touch or overlap its own.
    let last = index;
    for (;;) {
      const current = changes[last];
      const next = changes[last + 1];
      if (!current || !next) break;
      if (next.oldStart - (current.oldStart + current.removed.length) > 2 * CONTEXT_LINES) break;
      last += 1;
    }
    const first = changes[index];
    const final = changes[last];
    if (!first || !final) break;
    const oldFrom = Math.max(0, first.oldStart - CONTEXT_LINES);
    const oldTo = Math.min(oldLines.length, final.oldStart + final.removed.length + CONTEXT_LINES);
    const newFrom = oldFrom + (first.newStart - first.oldStart);
    let added = 0;
    let removed = 0;
    const body: string[] = [];
    let line = oldFrom;
    for (const change of changes.slice(index, last + 1)) {
      for (; line < change.oldStart; line += 1) emit(body, ' ', oldLines[line] ?? '');
      for (const text of change.removed) emit(body, '-', text);
      for (const text of change.added) emit(body, '+', text);
      line = change.oldStart + change.removed.length;
      added += change.added.length;
      removed += change.removed.length;
    }
    for (; line < oldTo; line += 1) emit(body, ' ', oldLines[line] ?? '');
    const oldCount = oldTo - oldFrom;
    const newCount = oldCount - removed + added;
    output.push(`@@ -${hunkRange(oldFrom, oldCount)} +${hunkRange(newFrom, newCount)} @@`, ...body);
    index = last + 1;
  }
  return `${output.join('\n')}\n`;
}
