export function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** A GitHub-flavoured Markdown table; cells are escaped so a value can never break the layout. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map(escapeMarkdownCell).join(' | ')} |`;
  return (
    [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n') +
    '\n'
  );
}
