/**
 * The secret scan every end-to-end run goes through (runAction and the workflow runner call it): the
 * known secrets of a step, in the forms they could leak in (raw, URL-encoded, base64 inside e.g. a
 * docker `auth` or an `Authorization: Basic` header), must appear in none of what the step leaves
 * behind (stdout, stderr, the GITHUB_* command files), in no command line of its process tree while
 * it runs (/proc/<pid>/cmdline is readable by every user of the machine), and in its private
 * DOCKER_CONFIG directory only as the registry `auth` docker keeps there until the post step.
 *
 * A process's environment is not scanned: it is the channel the runner itself hands secrets over
 * (AWS_SECRET_ACCESS_KEY, INPUT_TOKEN) and only the same user can read /proc/<pid>/environ.
 */
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';

/** A value that must not leak, named by where it came from (never by its value). */
export interface KnownSecret {
  readonly name: string;
  readonly value: string;
}

export interface Leak {
  /** Where it was found: `stdout`, `GITHUB_OUTPUT`, `argv of pid 42 (docker login ...)`, ... */
  readonly where: string;
  /** Which secret (its name, not its value). */
  readonly secret: string;
  /** raw, url-encoded, base64 or base64url. */
  readonly form: string;
}

export class SecretLeakError extends Error {
  readonly leaks: readonly Leak[];
  constructor(context: string, leaks: readonly Leak[]) {
    super(
      `secret scan of ${context}: ${String(leaks.length)} leak(s)\n${leaks
        .map((leak) => `  - ${leak.secret} (${leak.form}) in ${leak.where}`)
        .join('\n')}`,
    );
    this.name = 'SecretLeakError';
    this.leaks = leaks;
  }
}

/** Shorter values ('', 'true', a 4-digit PIN) would match by chance; real tokens are longer. */
const MIN_SECRET_LENGTH = 8;
/** Action inputs that carry a secret: token, app-token, manifests-token, password, secret. */
const SECRET_INPUT = /(token|password|secret)$/i;
/** Environment variables that carry one, as the runner and the AWS/GitHub tools name them. */
const SECRET_ENV = /(TOKEN|PASSWORD|SECRET|SECRET_ACCESS_KEY)$/i;
/** Set by `.ci/run` when the suite shares one registry: every test's registry password. */
const REGISTRY_PASSWORD_ENV = 'GITOPS_TEST_REGISTRY_PASSWORD';

/**
 * The secrets of one step: inputs named like a secret, the environment variables the runner and
 * the AWS/GitHub tools keep secrets in, the variables `secret-envs` (ecr-build-push) points at, the
 * shared test registry's password, and whatever the caller adds (the ECR password a test server
 * hands out, a workflow's `secrets:`).
 */
export function stepSecrets(
  inputs: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
  extra: readonly string[] = [],
): KnownSecret[] {
  const secrets: KnownSecret[] = [];
  const add = (name: string, value: string | undefined): void => {
    if (value === undefined || value.trim().length < MIN_SECRET_LENGTH) return;
    if (secrets.some((secret) => secret.value === value)) return;
    secrets.push({ name, value });
  };
  for (const [name, value] of Object.entries(inputs)) {
    if (SECRET_INPUT.test(name)) add(`input ${name}`, value);
  }
  for (const [name, value] of Object.entries(env)) {
    const input = /^INPUT_(.+)$/.exec(name)?.[1];
    if (input !== undefined ? SECRET_INPUT.test(input) : SECRET_ENV.test(name)) {
      add(`env ${name}`, value);
    }
  }
  // secret-envs: `id=ENV_NAME` lines; the variables they name hold BuildKit secrets.
  const secretEnvs = inputs['secret-envs'] ?? env['INPUT_SECRET-ENVS'] ?? '';
  for (const line of secretEnvs.split(/[\n,]/)) {
    const variable = line.slice(line.indexOf('=') + 1).trim();
    if (variable !== '') add(`env ${variable} (secret-envs)`, env[variable]);
  }
  add(REGISTRY_PASSWORD_ENV, process.env[REGISTRY_PASSWORD_ENV]);
  extra.forEach((value, index) => {
    add(`secret #${String(index + 1)} given to the scan`, value);
  });
  return secrets;
}

/**
 * The substrings any base64 text containing `value` must contain, whatever came before it: one per
 * alignment (0, 1 or 2 bytes before it), only the characters that depend on `value` alone. So
 * base64(`AWS:<password>`) and base64(`x-access-token:<token>`) are found without knowing the prefix.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const cores: string[] = [];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstGroup = offset === 0 ? 0 : 1;
    const endGroup = Math.floor((offset + bytes.length) / 3);
    const core = encoded.slice(4 * firstGroup, 4 * endGroup);
    if (core.length >= 8) cores.push(core);
  }
  return cores;
}

/** The texts a secret may leak as, each with the name of its form. */
export function secretForms(value: string): { form: string; text: string }[] {
  const forms = [{ form: 'raw', text: value }];
  const encoded = encodeURIComponent(value);
  if (encoded !== value) forms.push({ form: 'url-encoded', text: encoded });
  for (const core of base64Cores(value)) {
    forms.push({ form: 'base64', text: core });
    const url = core.replace(/\+/g, '-').replace(/\//g, '_');
    if (url !== core) forms.push({ form: 'base64url', text: url });
  }
  return forms;
}

/** Every (secret, form) found in `text`, reported as found in `where`. */
export function findLeaks(secrets: readonly KnownSecret[], where: string, text: string): Leak[] {
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    const found = secretForms(secret.value).find((form) => text.includes(form.text));
    if (found !== undefined) leaks.push({ where, secret: secret.name, form: found.form });
  }
  return leaks;
}

/** `text` with every form of every secret replaced by `<name>`, fit for an error message. */
export function redact(secrets: readonly KnownSecret[], text: string): string {
  let redacted = text;
  for (const secret of secrets) {
    for (const form of secretForms(secret.value)) {
      redacted = redacted.split(form.text).join(`<${secret.name}>`);
    }
  }
  return redacted;
}

/**
 * A step's log without its `::add-mask::` commands: the runner consumes those lines (they are how a
 * secret gets masked), so they never reach the log. Every other line must be free of secrets.
 */
export function withoutMaskCommands(log: string): string {
  return log
    .split('\n')
    .filter((line) => !line.trim().startsWith('::add-mask::'))
    .join('\n');
}

/** Leaks in what a step wrote: its output streams and command files, by name. */
export function scanTexts(
  secrets: readonly KnownSecret[],
  texts: Readonly<Record<string, string>>,
): Leak[] {
  return Object.entries(texts).flatMap(([where, text]) =>
    findLeaks(
      secrets,
      where,
      where === 'stdout' || where === 'log' ? withoutMaskCommands(text) : text,
    ),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((file) => statSync(file).isFile());
}

const openToOthers = (stats: Stats): boolean => (stats.mode & 0o077) !== 0;

/**
 * A private DOCKER_CONFIG directory while it exists: docker keeps the registry login as
 * `auths.<registry>.auth` in config.json, which is its purpose, so the secret is allowed there and
 * nowhere else (no other key, no other file), and neither the directory nor config.json may be
 * readable by other users.
 */
export function scanDockerConfigDir(secrets: readonly KnownSecret[], dir: string): Leak[] {
  let dirStats: Stats;
  try {
    dirStats = statSync(dir);
  } catch {
    return [];
  }
  const leaks: Leak[] = [];
  const everySecret = (where: string): void => {
    for (const secret of secrets) leaks.push({ where, secret: secret.name, form: 'any' });
  };
  if (openToOthers(dirStats)) {
    everySecret(`DOCKER_CONFIG ${dir} (mode ${(dirStats.mode & 0o777).toString(8)}, not 700)`);
  }
  for (const file of filesUnder(dir)) {
    const text = readFileSync(file, 'utf8');
    if (basename(file) !== 'config.json' || file !== join(dir, 'config.json')) {
      leaks.push(...findLeaks(secrets, `DOCKER_CONFIG file ${file}`, text));
      continue;
    }
    const fileStats = statSync(file);
    if (openToOthers(fileStats) && findLeaks(secrets, file, text).length > 0) {
      everySecret(`${file} (mode ${(fileStats.mode & 0o777).toString(8)}, readable by others)`);
    }
    let config: { auths?: Record<string, { auth?: string }> } & Record<string, unknown>;
    try {
      config = JSON.parse(text) as typeof config;
    } catch {
      leaks.push(...findLeaks(secrets, `${file} (not JSON)`, text));
      continue;
    }
    // The one place the login belongs; everything else in the file is scanned.
    const auths = Object.fromEntries(
      Object.entries(config.auths ?? {}).map(([registry, entry]) => [
        registry,
        { ...entry, auth: undefined },
      ]),
    );
    leaks.push(
      ...findLeaks(secrets, `${file} (outside auths.*.auth)`, JSON.stringify({ ...config, auths })),
    );
  }
  return leaks;
}

/** After a post step that cleans up: the credentials directory must be gone. */
export function dockerConfigLeftBehind(secrets: readonly KnownSecret[], dir: string): Leak[] {
  try {
    statSync(dir);
  } catch {
    return [];
  }
  return [
    {
      where: `DOCKER_CONFIG ${dir}, still there after the post step`,
      secret: secrets.map((secret) => secret.name).join(', ') || 'the registry login',
      form: 'directory',
    },
  ];
}

/** The pids of `root` and its descendants now (every thread's children: Go spawns from any). */
function processTree(root: number): number[] {
  const pids: number[] = [];
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    pids.push(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${String(pid)}/task`);
    } catch {
      continue; // exited
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${String(pid)}/task/${task}/children`, 'latin1');
        for (const child of children.split(' ')) if (child !== '') pending.push(Number(child));
      } catch {
        // the thread or process exited meanwhile
      }
    }
  }
  return pids;
}

function commandLine(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8');
    return raw === '' ? undefined : raw.replace(/\0$/, '').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

export interface ArgvWatch {
  /** Samples of the process tree taken. */
  readonly samples: number;
  /** Distinct command lines seen, in order, secrets redacted. */
  readonly commands: readonly string[];
  readonly leaks: readonly Leak[];
}

/**
 * Samples the command lines of `root`'s process tree every `intervalMs` until stop(): a secret
 * handed to a child on its command line (`docker login -p`, a token in a git URL) is visible to
 * every user of the machine through /proc. Sampling sees a process that lives at least one
 * interval; docker and git commands live far longer than 10 ms.
 */
export function watchCommandLines(
  root: number,
  secrets: readonly KnownSecret[],
  intervalMs = 10,
): { stop(): ArgvWatch } {
  // A child between fork and exec still shows this process's command line: not its own.
  const own = commandLine(process.pid);
  const seen = new Set<string>();
  const commands: string[] = [];
  const leaks: Leak[] = [];
  let samples = 0;
  const sample = (): void => {
    samples++;
    for (const pid of processTree(root)) {
      const line = commandLine(pid);
      if (line === undefined || line === own || seen.has(`${String(pid)} ${line}`)) continue;
      seen.add(`${String(pid)} ${line}`);
      const shown = redact(secrets, line);
      commands.push(shown);
      for (const leak of findLeaks(secrets, '', line)) {
        leaks.push({ ...leak, where: `argv of pid ${String(pid)} (${shown.slice(0, 200)})` });
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { samples, commands, leaks };
    },
  };
}
