/**
 * The part of Argo CD's REST API the deployment check reads: one application, refreshed on demand
 * (`GET /api/v1/applications/{name}?refresh=normal`), with a bearer token. Over a fetch port, so the
 * CLI, the action and the tests use the same client.
 */
import { GitOpsError } from '../kit/errors.js';

/** `globalThis.fetch` or anything shaped like it. */
export type FetchPort = (url: string, init: RequestInit) => Promise<Response>;

/** The fields of Argo CD's `v1alpha1Application` the waiter reads (all optional on the wire). */
export interface ArgoApplication {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: {
    readonly source?: {
      readonly repoURL?: string;
      readonly path?: string;
      readonly targetRevision?: string;
    };
  };
  readonly status?: {
    readonly sync?: { readonly status?: string; readonly revision?: string };
    readonly health?: { readonly status?: string; readonly message?: string };
    readonly reconciledAt?: string;
    readonly operationState?: {
      readonly phase?: string;
      readonly message?: string;
      readonly finishedAt?: string;
      readonly syncResult?: {
        readonly revision?: string;
        readonly resources?: readonly ArgoResourceResult[];
      };
    };
    readonly resources?: readonly ArgoResourceStatus[];
    readonly summary?: { readonly images?: readonly string[] };
  };
}

export interface ArgoResourceStatus {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly status?: string;
  readonly health?: { readonly status?: string; readonly message?: string };
}

export interface ArgoResourceResult {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly status?: string;
  readonly message?: string;
}

/** An Argo CD refusal or an unreachable server; `input` names what to fix when one is at fault. */
export class ArgoCdError extends GitOpsError {
  override name = 'ArgoCdError';

  constructor(
    problem: string,
    readonly status: number | undefined,
    options: { input?: string; cause?: unknown } = {},
  ) {
    super(problem, options);
  }
}

export interface ArgoCdClientOptions {
  /** The server's root URL, e.g. https://argocd.example.org (a path prefix is kept). */
  readonly server: string;
  readonly token: string;
  readonly fetch?: FetchPort;
  /** Waits between retries of a 5xx or a dropped connection; the waiter passes its clock's sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Attempts per call for 5xx and network errors. Default 4. */
  readonly attempts?: number;
}

const RETRY_DELAY_MS = 1000;

function errorText(body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const { message, error } = body as Record<string, unknown>;
    if (typeof message === 'string' && message !== '') return message;
    if (typeof error === 'string' && error !== '') return error;
  }
  return 'no message';
}

async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 200);
  }
}

export class ArgoCdClient {
  private readonly fetch: FetchPort;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly attempts: number;
  private readonly server: string;

  constructor(private readonly options: ArgoCdClientOptions) {
    this.fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.attempts = options.attempts ?? 4;
    this.server = options.server.replace(/\/+$/, '');
  }

  /** Where people look at the application: the Deployments view links here. */
  applicationUrl(name: string): string {
    return `${this.server}/applications/${encodeURIComponent(name)}`;
  }

  /** The application; with `refresh`, Argo CD first compares it with its Git source again. */
  async getApplication(name: string, refresh: boolean): Promise<ArgoApplication> {
    const url = `${this.server}/api/v1/applications/${encodeURIComponent(name)}${refresh ? '?refresh=normal' : ''}`;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(url, {
          headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
        });
      } catch (error: unknown) {
        if (attempt < this.attempts) {
          await this.sleep(RETRY_DELAY_MS * attempt);
          continue;
        }
        throw new ArgoCdError(
          `cannot reach Argo CD at ${this.server} (${error instanceof Error ? error.message : String(error)}): check the URL and that the runner can reach it`,
          undefined,
          { input: 'argocd-server', cause: error },
        );
      }
      if (response.ok) return (await response.json()) as ArgoApplication;
      const body = await bodyOf(response);
      if (response.status >= 500 && attempt < this.attempts) {
        await this.sleep(RETRY_DELAY_MS * attempt);
        continue;
      }
      throw this.refusal(name, response.status, errorText(body));
    }
  }

  private refusal(name: string, status: number, message: string): ArgoCdError {
    const said = `Argo CD answered ${String(status)} (${message})`;
    if (status === 401) {
      return new ArgoCdError(
        `${said}: the token is not valid for ${this.server}; give an Argo CD API token (an account token of a project role)`,
        status,
        { input: 'argocd-token' },
      );
    }
    if (status === 403) {
      return new ArgoCdError(
        `${said}: the token may not read the application ${name}, or Argo CD has none by that name (it says "permission denied" for both): check argocd-application and grant the token's role "applications, get" on it`,
        status,
        { input: 'argocd-token' },
      );
    }
    if (status === 404) {
      return new ArgoCdError(
        `${said}: there is no application named ${name} on ${this.server}; give the name Argo CD shows for it`,
        status,
        { input: 'argocd-application' },
      );
    }
    return new ArgoCdError(`reading the application ${name}: ${said}`, status);
  }
}
