/**
 * The workflow commands the GitHub runner would honour in a step's stdout, read the way the runner
 * reads them (actions/runner ActionCommandManager): lines split on `\r\n`, `\r` or `\n` (.NET
 * ReadLine), a command is a line starting `::name` after leading blanks, and after
 * `::stop-commands::<token>` nothing is honoured until the exact line `::<token>::`.
 */
export interface WorkflowCommand {
  readonly name: string;
  readonly data: string;
  readonly line: string;
}

const COMMAND = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/;

export function honouredWorkflowCommands(stdout: string): WorkflowCommand[] {
  const honoured: WorkflowCommand[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    if (stopToken !== undefined) {
      if (line.toLowerCase() === `::${stopToken}::`.toLowerCase()) stopToken = undefined;
      continue;
    }
    const match = COMMAND.exec(line.trimStart());
    if (!match?.[1]) continue;
    const name = match[1].toLowerCase();
    const data = match[2] ?? '';
    honoured.push({ name, data, line });
    if (name === 'stop-commands' && data !== '') stopToken = data;
  }
  return honoured;
}
