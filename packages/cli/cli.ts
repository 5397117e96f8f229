import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { trackingProcessExec } from '../docker/index.js';
import { cliFailureLine, errorMessage, GitOpsError, type Logger } from '../kit/index.js';
import { updateManifests } from '../manifest/index.js';
import {
  DEFAULT_FORMAT,
  nextHotfix,
  nextVersion,
  parseVersions,
  VersionFormat,
} from '../version/index.js';
import { processSignals, type SignalPort } from './interrupt.js';
import { RELEASE_USAGE, releaseCommand, type ReleaseIo } from './release-command.js';
import { UsageError } from './release-options.js';

export interface CliIo {
  readonly stdin: () => Promise<string>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** For `release`: the environment (tokens, AWS, GITHUB_API_URL). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** For `release`: a person can answer questions (stdin is a terminal). Default false. */
  readonly interactive?: boolean;
  /** For `release`: prints a question and reads one line of answer. */
  readonly ask?: (question: string) => Promise<string>;
  /** For `release`: runs git and docker. Default node:child_process. */
  readonly exec?: ReleaseIo['exec'];
  readonly readTextFile?: (path: string) => Promise<string>;
  /** For `release`: SIGINT and SIGTERM. Default the process's own when `exec` is the default. */
  readonly signals?: SignalPort;
}

export const USAGE = `gitops-release: release a containerised application the GitOps way, from a terminal.

Usage:
  gitops-release version sort [--format F] [--git-tag-prefix P]
      Reads tag names, one per line, on stdin; prints those that match the format, oldest
      release first (numeric order: v0.0.999 < v0.0.1000; v0.0.417 < v0.0.417-1 < v0.0.418).
  gitops-release version next [--format F] [--git-tag-prefix P] [--hotfix-of V] [--start-at N]
      Reads tag names on stdin; prints the next version: the highest N + 1, or with --hotfix-of
      the next hotfix V-k of release V (which must be among the tags).
  gitops-release manifest set-image --image I --tag T [--path D] [--files G]... [--set S]...
                                   [--digest D] [--format F] [--allow-downgrade --reason R]
                                   [--dry-run] [--json]
      Points every reference to image I in the YAML files under D (default .) at tag T, changing
      nothing else byte-for-byte; prints the changed files (--dry-run: the diff, writes nothing;
      --json: the references and files as JSON). --files takes globs relative to D (default every
      *.yaml/*.yml); --set takes explicit paths such as web.env[name=DD_VERSION].value={version}.
      A reference newer than T is refused unless --allow-downgrade with a --reason.
  gitops-release release --app A --repository R --manifests O/N [--manifests-path P] [...]
      The whole release: next version, image build and push to ECR, manifest pull request (or
      direct commit) and the GitHub release. See gitops-release release --help.
  gitops-release hotfix V [--from REF] [release options]
      The emergency release: the hotfix V-k of the deployed release V, built from REF (a commit
      or branch, default the checkout's HEAD), pushed to ECR, and proposed (or committed) to the
      environments that run V or older; one already ahead is skipped with a notice. Its pull
      request stays open beside a newer unmerged release, which is told it lacks the fix.
  gitops-release --help

Options:
  --format F          Tag template with exactly one {n} (default ${DEFAULT_FORMAT}).
  --git-tag-prefix P  Prefix the git tags carry but image tags do not (e.g. cms/). Lines are
                      read as git tags when it is set, and printed as they were read.
  --hotfix-of V       Release to hotfix, e.g. v0.0.417.
  --start-at N        First N when no tag matches (default 1; also a floor).

Lines that do not match the format (latest, sha-abc, v0.0.07) are ignored.
Exit codes: 0 success, 1 bad input or failure.
`;

function parseStartAt(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--start-at "${raw}" is not a positive whole number: use 1, 2, 3, ...`);
  }
  return value;
}

function formatOption(values: { format?: string; 'git-tag-prefix'?: string }): VersionFormat {
  try {
    return VersionFormat.parse(values.format ?? DEFAULT_FORMAT, values['git-tag-prefix'] ?? '');
  } catch (error) {
    // VersionFormat names the option at fault (`format` or `git-tag-prefix`) as the error's input.
    if (error instanceof GitOpsError && error.input !== undefined) {
      throw new UsageError(error.problem, { input: error.input, cause: error });
    }
    throw new UsageError(`--format/--git-tag-prefix: ${errorMessage(error)}`, { cause: error });
  }
}

async function versionCommand(
  command: string | undefined,
  args: string[],
  io: CliIo,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'git-tag-prefix': { type: 'string' },
      'hotfix-of': { type: 'string' },
      'start-at': { type: 'string' },
    },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals.join(' ')}"`);
  const format = formatOption(values);
  const lines = (await io.stdin()).split(/\r?\n/).map((line) => line.trim());
  const parse = (name: string) =>
    format.gitTagPrefix === '' ? format.parse(name) : format.parseGitTag(name);
  if (command === 'sort') {
    if (values['hotfix-of'] !== undefined || values['start-at'] !== undefined) {
      throw new UsageError('--hotfix-of and --start-at belong to "version next"');
    }
    // Print each name as it was read, so git tags keep their prefix.
    const named = new Map<string, string>();
    for (const line of lines) {
      const version = parse(line);
      if (version) named.set(version.tag, line);
    }
    const sorted = parseVersions(named.keys(), (tag) => format.parse(tag));
    io.stdout(sorted.map((version) => `${named.get(version.tag) ?? version.tag}\n`).join(''));
    return;
  }
  const versions = parseVersions(lines, parse);
  const hotfixOf = values['hotfix-of'];
  const next =
    hotfixOf === undefined
      ? nextVersion(format, versions, { startAt: parseStartAt(values['start-at']) })
      : nextHotfix(format, versions, hotfixOf);
  io.stdout(`${next.tag}\n`);
}

/** `manifest set-image` flags named differently from the updateManifests field an error blames. */
const MANIFEST_FLAGS: Readonly<Record<string, string>> = {
  root: 'path',
  'downgrade-reason': 'reason',
};

/** An error blaming a request field renamed to the flag that sets it (`root` is `--path`). */
function asFlagError(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof GitOpsError) || error.input === undefined) return error;
  const flag = flags[error.input];
  return flag === undefined ? error : new UsageError(error.problem, { input: flag, cause: error });
}

async function manifestCommand(
  command: string | undefined,
  args: string[],
  io: CliIo,
): Promise<void> {
  if (command !== 'set-image') {
    throw new UsageError(`unknown command "manifest ${command ?? ''}": use "manifest set-image"`);
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      image: { type: 'string' },
      tag: { type: 'string' },
      path: { type: 'string' },
      files: { type: 'string', multiple: true },
      set: { type: 'string', multiple: true },
      digest: { type: 'string' },
      format: { type: 'string' },
      'allow-downgrade': { type: 'boolean' },
      reason: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals.join(' ')}"`);
  if (values.image === undefined)
    throw new UsageError('--image is required, e.g. --image dsva/cms-drupal');
  if (values.tag === undefined) throw new UsageError('--tag is required, e.g. --tag v0.0.418');
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warning: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
  };
  const dryRun = values['dry-run'] === true;
  const result = await updateManifests({
    root: values.path ?? '.',
    ...(values.files ? { files: values.files } : {}),
    image: values.image,
    tag: values.tag,
    ...(values.digest === undefined ? {} : { digest: values.digest }),
    set: values.set ?? [],
    ...(values.format === undefined
      ? {}
      : { format: formatOption({ format: values.format }).template }),
    allowDowngrade: values['allow-downgrade'] === true,
    downgradeReason: values.reason ?? '',
    dryRun,
    logger,
  }).catch((error: unknown) => {
    throw asFlagError(error, MANIFEST_FLAGS);
  });
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
  if (values.json === true) {
    io.stdout(
      `${JSON.stringify(
        {
          changedFiles: result.changedFiles,
          previousVersion: result.previousVersion ?? null,
          references: result.references.map(({ file, line, keyPath, oldValue, newValue }) => ({
            file,
            line,
            keyPath,
            oldValue,
            newValue,
          })),
          dryRun,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  if (result.references.length === 0) {
    throw new UsageError(
      `no reference to ${values.image} found under ${values.path ?? '.'}: check --image and --files`,
    );
  }
  io.stdout(dryRun ? result.diff : result.changedFiles.map((file) => `${file}\n`).join(''));
}

/** `hotfix V [options]` is `release --hotfix-of V [options]`. */
function hotfixArgs(args: readonly string[]): string[] {
  const [release, ...rest] = args;
  if (release === '--help' || release === '-h') return ['--help'];
  if (release === undefined || release.startsWith('-')) {
    throw new UsageError(
      'hotfix needs the release it fixes first, e.g. gitops-release hotfix v0.0.417 --from hotfix/v0.0.417 --config release.yaml',
    );
  }
  if (rest.some((arg) => arg === '--hotfix-of' || arg.startsWith('--hotfix-of='))) {
    throw new UsageError(`hotfix ${release} already names the release: drop --hotfix-of`);
  }
  return ['--hotfix-of', release, ...rest];
}

/** Runs one command line; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
      io.stdout(USAGE);
      return group === undefined ? 1 : 0;
    }
    if (group === 'release' || group === 'hotfix') {
      const args = group === 'hotfix' ? hotfixArgs(argv.slice(1)) : argv.slice(1);
      if (args.includes('--help') || args.includes('-h')) {
        io.stdout(RELEASE_USAGE);
        return 0;
      }
      // A release run with this process's children handles this process's signals.
      const running = new Set<ChildProcess>();
      return await releaseCommand(args, {
        stdout: io.stdout,
        stderr: io.stderr,
        env: io.env ?? process.env,
        interactive: io.interactive ?? false,
        ask: io.ask ?? (() => Promise.reject(new UsageError('no terminal to ask on: pass --yes'))),
        exec: io.exec ?? trackingProcessExec(running),
        readTextFile: io.readTextFile ?? ((path) => readFile(path, 'utf8')),
        signals: io.signals ?? (io.exec === undefined ? processSignals : undefined),
        running,
      });
    }
    if (group !== 'version' && group !== 'manifest') {
      throw new UsageError(`unknown command "${group}": see gitops-release --help`);
    }
    if (
      command === '--help' ||
      command === '-h' ||
      rest.includes('--help') ||
      rest.includes('-h')
    ) {
      io.stdout(USAGE);
      return 0;
    }
    if (group === 'manifest') {
      await manifestCommand(command, rest, io);
      return 0;
    }
    if (command !== 'sort' && command !== 'next') {
      throw new UsageError(
        `unknown command "version ${command ?? ''}": use "version sort" or "version next"`,
      );
    }
    await versionCommand(command, rest, io);
    return 0;
  } catch (error) {
    io.stderr(`gitops-release: ${cliFailureLine(error)}\n`);
    return 1;
  }
}
