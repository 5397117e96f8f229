/**
 * A local server speaking the part of Argo CD's REST API the suite reads
 * (`GET /api/v1/applications/{name}[?refresh=normal]`), answering as Argo CD does (its answers are
 * checked against Argo CD's swagger.json in the tests). It plays a sync from the real manifests:
 * a refresh reads the application's branch in the local GitHub server's bare repository, takes its
 * head as the revision to sync and the images named under the application's path; then every GET
 * advances one step: OutOfSync -> Syncing -> Synced/Progressing -> Healthy (or the scripted
 * failure). No timers: the state moves only when asked, so tests are deterministic.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How an application's next sync ends. */
export type SyncScenario =
  /** Synced, Progressing, then Healthy with the new image. */
  | 'healthy'
  /** Synced, then Degraded: the new pod crash-loops. */
  | 'degraded'
  /** The sync operation fails: a resource is refused. */
  | 'sync-error'
  /** A refresh never reaches Git: the application stays at the revision it had. */
  | 'never-refreshes';

export interface ArgoApplicationInput {
  readonly name: string;
  /** The manifests repository in the GitHub test server, with its bare git directory. */
  readonly gitDir: string;
  readonly repoURL: string;
  /** Folder of the application's manifests in that repository. */
  readonly path: string;
  /** Branch Argo CD follows; default main. */
  readonly targetRevision?: string;
  readonly scenario?: SyncScenario;
}

export interface ArgoRecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly authorization: string | undefined;
  status: number;
  body: unknown;
}

export interface ArgoCdTestServer {
  readonly url: string;
  /** The token every request must carry (`Authorization: Bearer <token>`). */
  readonly token: string;
  readonly requests: ArgoRecordedRequest[];
  addApplication(input: ArgoApplicationInput): Promise<void>;
  /** How the next sync of `name` ends (a new commit starts a new sync). */
  setScenario(name: string, scenario: SyncScenario): void;
  /** A token that authenticates but may not read applications (403, as an RBAC-limited role). */
  addForbiddenToken(token: string): void;
  /** The next `count` requests get `status` (e.g. 503) before being served normally. */
  failNext(status: number, count: number): void;
  close(): Promise<void>;
}

const STEPS = ['out-of-sync', 'syncing', 'synced', 'settled'] as const;
type Step = (typeof STEPS)[number];

interface ApplicationState {
  readonly input: ArgoApplicationInput;
  scenario: SyncScenario;
  /** The revision running (its images) and the revision being synced. */
  liveRevision: string;
  liveImages: string[];
  targetRevision: string;
  targetImages: string[];
  step: Step;
  startedAt: string;
  finishedAt: string;
}

/** Deterministic time: each answer is one second after the previous. */
class TestClock {
  private seconds = 0;
  tick(): string {
    this.seconds += 1;
    return new Date(Date.UTC(2026, 0, 1, 0, 0, this.seconds)).toISOString().replace('.000Z', 'Z');
  }
}

async function git(gitDir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', gitDir, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const IMAGE_LINE = /^\s*(?:-\s+)?image:\s*["']?([^\s"'#]+)["']?\s*(?:#.*)?$/gm;

/** Images the manifests under `path` name at `revision` (`image:` values, as Argo CD's summary lists them). */
async function imagesAt(gitDir: string, revision: string, path: string): Promise<string[]> {
  const listing = await git(gitDir, [
    'ls-tree',
    '-r',
    '--name-only',
    revision,
    '--',
    path === '.' ? '' : path,
  ]);
  const images = new Set<string>();
  for (const file of listing.split('\n').filter((name) => /\.ya?ml$/.test(name))) {
    const text = await git(gitDir, ['show', `${revision}:${file}`]);
    for (const match of text.matchAll(IMAGE_LINE)) if (match[1]) images.add(match[1]);
  }
  return [...images].sort();
}

function argoError(status: number, code: number, message: string) {
  return { status, body: { error: message, code, message, details: [] } };
}

class Server implements ArgoCdTestServer {
  readonly token = 'argocd-test-token';
  readonly requests: ArgoRecordedRequest[] = [];
  private readonly applications = new Map<string, ApplicationState>();
  private readonly forbidden = new Set<string>();
  private readonly clock = new TestClock();
  private failures: { status: number; count: number } | undefined;

  constructor(
    private readonly http: ReturnType<typeof createServer>,
    readonly url: string,
  ) {
    http.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void this.handle(request, response);
    });
  }

  async addApplication(input: ArgoApplicationInput): Promise<void> {
    const branch = input.targetRevision ?? 'main';
    const head = (await git(input.gitDir, ['rev-parse', `refs/heads/${branch}`])).trim();
    const images = await imagesAt(input.gitDir, head, input.path);
    const now = this.clock.tick();
    this.applications.set(input.name, {
      input,
      scenario: input.scenario ?? 'healthy',
      liveRevision: head,
      liveImages: images,
      targetRevision: head,
      targetImages: images,
      step: 'settled',
      startedAt: now,
      finishedAt: now,
    });
  }

  setScenario(name: string, scenario: SyncScenario): void {
    const app = this.applications.get(name);
    if (app === undefined) throw new Error(`no application ${name}`);
    app.scenario = scenario;
  }

  addForbiddenToken(token: string): void {
    this.forbidden.add(token);
  }

  failNext(status: number, count: number): void {
    this.failures = { status, count };
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.close((error) => {
        if (error) reject(error);
        else resolve();
      });
      this.http.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const record: ArgoRecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      status: 0,
      body: undefined,
    };
    this.requests.push(record);
    let reply: { status: number; body: unknown };
    try {
      reply = await this.answer(record, url);
    } catch (error: unknown) {
      reply = argoError(500, 13, error instanceof Error ? error.message : String(error));
    }
    record.status = reply.status;
    record.body = reply.body;
    const text = JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    });
    response.end(text);
  }

  private async answer(
    record: ArgoRecordedRequest,
    url: URL,
  ): Promise<{ status: number; body: unknown }> {
    if (this.failures !== undefined && this.failures.count > 0) {
      this.failures.count -= 1;
      return argoError(
        this.failures.status,
        14,
        'connection error: desc = "transport: Error while dialing"',
      );
    }
    // Argo CD's gRPC gateway: Unauthenticated is 401, PermissionDenied 403, NotFound 404.
    const token = /^Bearer (.+)$/.exec(record.authorization ?? '')?.[1];
    if (token === undefined || (token !== this.token && !this.forbidden.has(token))) {
      return argoError(401, 16, 'invalid session: token signature is invalid');
    }
    const match = /^\/api\/v1\/applications\/([^/]+)$/.exec(url.pathname);
    if (record.method !== 'GET' || match === null) return argoError(404, 5, 'Not Found');
    const name = decodeURIComponent(match[1] ?? '');
    if (this.forbidden.has(token)) {
      return argoError(
        403,
        7,
        `permission denied: applications, get, default/${name}, sub: ci, iat: 2026-01-01T00:00:00Z`,
      );
    }
    const app = this.applications.get(name);
    if (app === undefined) {
      return argoError(404, 5, `applications.argoproj.io "${name}" not found`);
    }
    const refresh = url.searchParams.get('refresh');
    if (refresh === 'normal' || refresh === 'hard') await this.refresh(app);
    else this.advance(app);
    return { status: 200, body: this.view(app) };
  }

  /** A refresh compares with Git: a new head starts a sync; otherwise the sync moves on. */
  private async refresh(app: ApplicationState): Promise<void> {
    if (app.scenario === 'never-refreshes') return;
    const head = (
      await git(app.input.gitDir, ['rev-parse', `refs/heads/${app.input.targetRevision ?? 'main'}`])
    ).trim();
    if (head === app.targetRevision) {
      this.advance(app);
      return;
    }
    app.targetRevision = head;
    app.targetImages = await imagesAt(app.input.gitDir, head, app.input.path);
    app.step = 'out-of-sync';
  }

  private advance(app: ApplicationState): void {
    const next = STEPS[STEPS.indexOf(app.step) + 1];
    if (next === undefined) return;
    app.step = next;
    if (next === 'syncing') app.startedAt = this.clock.tick();
    if (next === 'synced') {
      app.finishedAt = this.clock.tick();
      if (app.scenario !== 'sync-error') {
        app.liveRevision = app.targetRevision;
        app.liveImages = app.targetImages;
      }
    }
  }

  private view(app: ApplicationState) {
    const { input } = app;
    const source = {
      repoURL: input.repoURL,
      path: input.path,
      targetRevision: input.targetRevision ?? 'main',
    };
    const destination = { server: 'https://kubernetes.default.svc', namespace: input.name };
    const syncing = app.step === 'syncing';
    const failed =
      app.scenario === 'sync-error' && (app.step === 'synced' || app.step === 'settled');
    const synced = !failed && (app.step === 'synced' || app.step === 'settled');
    const health = !synced
      ? 'Healthy'
      : app.step === 'synced'
        ? 'Progressing'
        : app.scenario === 'degraded'
          ? 'Degraded'
          : 'Healthy';
    const short = app.targetRevision.slice(0, 7);
    const resources = [
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: input.name,
        name: input.name,
        status: synced ? 'Synced' : 'OutOfSync',
        health:
          health === 'Degraded'
            ? {
                status: 'Degraded',
                message: `Deployment "${input.name}" exceeded its progress deadline`,
              }
            : { status: health },
      },
      ...(health === 'Degraded'
        ? [
            {
              version: 'v1',
              kind: 'Pod',
              namespace: input.name,
              name: `${input.name}-${short}-x7k2p`,
              status: 'Synced',
              health: {
                status: 'Degraded',
                message: `back-off 5m0s restarting failed container=app pod=${input.name}-${short}-x7k2p (CrashLoopBackOff)`,
              },
            },
          ]
        : []),
      {
        version: 'v1',
        kind: 'Service',
        namespace: input.name,
        name: input.name,
        status: 'Synced',
        health: { status: 'Healthy' },
      },
    ];
    const operationPhase = syncing ? 'Running' : failed ? 'Failed' : 'Succeeded';
    return {
      metadata: {
        name: input.name,
        namespace: 'argocd',
        uid: `00000000-0000-4000-8000-${Buffer.from(input.name).toString('hex').padEnd(12, '0').slice(0, 12)}`,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: {
        project: 'default',
        source,
        destination,
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
      status: {
        sync: {
          status: synced ? 'Synced' : 'OutOfSync',
          revision: app.targetRevision,
          comparedTo: { source, destination },
        },
        health: { status: health },
        reconciledAt: this.clock.tick(),
        operationState: {
          operation: { sync: { revision: app.targetRevision }, initiatedBy: { automated: true } },
          phase: operationPhase,
          message: syncing
            ? 'one or more tasks are running'
            : failed
              ? 'one or more objects failed to apply, reason: Deployment.apps "' +
                input.name +
                '" is invalid: spec.template.spec.containers[0].resources.limits.memory: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'
              : 'successfully synced (all tasks run)',
          startedAt: app.startedAt,
          ...(syncing ? {} : { finishedAt: app.finishedAt }),
          syncResult: {
            revision: app.targetRevision,
            source,
            resources: syncing
              ? []
              : [
                  {
                    group: 'apps',
                    version: 'v1',
                    kind: 'Deployment',
                    namespace: input.name,
                    name: input.name,
                    status: failed ? 'SyncFailed' : 'Synced',
                    message: failed
                      ? 'Deployment.apps "' +
                        input.name +
                        '" is invalid: spec.template.spec.containers[0].resources.limits.memory: Invalid value: "2Gi"'
                      : 'deployment.apps/' + input.name + ' configured',
                    syncPhase: 'Sync',
                    hookPhase: failed ? 'Failed' : 'Succeeded',
                  },
                ],
          },
        },
        resources,
        summary: { images: app.liveImages },
        sourceType: 'Directory',
      },
    };
  }
}

/** Starts the server on 127.0.0.1 with a random port. */
export async function startArgoCdServer(): Promise<ArgoCdTestServer> {
  const http = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  return new Server(http, `http://127.0.0.1:${String(port)}`);
}
