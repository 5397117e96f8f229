/**
 * A tiny HTTP proxy in front of the test registry that answers chosen requests with an error instead
 * of forwarding them, so docker meets a registry failing mid-push. Docker talks to it as the registry
 * (`127.0.0.1:PORT`, plain HTTP like any 127.0.0.0/8 registry).
 *
 * With `issueTokens`, it also plays ECR's short-lived registry tokens: clients log in with the token it
 * currently issues (`token()`, what the ECR test server's GetAuthorizationToken hands out), which it
 * swaps for the registry's real credentials; `expireToken()` retires the current one, and a request
 * still carrying it gets ECR's answer to an expired token (403 DENIED "Your authorization token has
 * expired. Reauthenticate and try again.").
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyFault {
  /** Which requests it hits, e.g. docker's manifest PUT. */
  readonly matches: (request: IncomingMessage) => boolean;
  /** HTTP status answered instead, default 500. */
  readonly status?: number;
  /** The response body, default a Distribution error `{"errors":[{"code":"UNKNOWN",...}]}`. */
  readonly body?: string;
  /** How many matching requests fail before the proxy forwards them again. Default 1; Infinity: always. */
  readonly times?: number;
}

export interface FaultyProxyOptions {
  /** Issue tokens of its own in front of these (the registry's real) credentials; see the module comment. */
  readonly issueTokens?: { readonly username: string; readonly password: string };
}

export interface FaultyProxy {
  /** `127.0.0.1:PORT`, to use as the registry host. */
  readonly host: string;
  /** Every request seen, as `METHOD path -> status`. */
  readonly log: readonly string[];
  /** How many requests were answered with a fault. */
  faultsServed(): number;
  addFault(fault: ProxyFault): void;
  /** The registry password currently accepted (`issueTokens` only). */
  token(): string;
  /** Retires the current token now: requests still carrying it are refused as expired. */
  expireToken(): void;
  /** Retires the current token when the first request matching `matches` arrives (e.g. mid-push). */
  expireTokenOn(matches: (request: IncomingMessage) => boolean): void;
  /** How many requests were refused for an expired token. */
  expiredTokenAnswers(): number;
  /**
   * Runs `action` once, when the first request matching `matches` arrives, and holds that request until
   * it settles (e.g. to kill the pushing process while its upload is in flight).
   */
  when(matches: (request: IncomingMessage) => boolean, action: () => Promise<void>): void;
  close(): Promise<void>;
}

/** docker's manifest upload: `PUT /v2/<name>/manifests/<reference>` from the docker engine. */
export const dockerManifestPut = (request: IncomingMessage): boolean =>
  request.method === 'PUT' &&
  /^\/v2\/.+\/manifests\/[^/]+$/.test(request.url ?? '') &&
  (request.headers['user-agent'] ?? '').includes('docker/');

/** A blob upload carrying data: `PATCH` or `PUT /v2/<name>/blobs/uploads/<uuid>` (not the POST that starts it). */
export const blobUploadData = (request: IncomingMessage): boolean =>
  (request.method === 'PATCH' || request.method === 'PUT') &&
  /^\/v2\/.+\/blobs\/uploads\/[^/?]+/.test(request.url ?? '');

/**
 * What Distribution 2.8 answers when its filesystem storage is full: the blob PATCH handler's copy
 * fails and it appends `errcode.ErrorCodeUnknown.WithDetail(err.Error())` (registry/handlers/blobupload.go),
 * so a 500 with the disk error in `detail`. (docker discards 5xx bodies, so only the status reaches it.)
 */
export const DISTRIBUTION_DISK_FULL_BODY = JSON.stringify({
  errors: [
    {
      code: 'UNKNOWN',
      message: 'unknown error',
      detail:
        'write /var/lib/docker-registry/docker/registry/v2/repositories/_uploads/data: no space left on device',
    },
  ],
});

const ECR_EXPIRED_TOKEN_BODY = JSON.stringify({
  errors: [
    {
      code: 'DENIED',
      message: 'Your authorization token has expired. Reauthenticate and try again.',
    },
  ],
});

const basic = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/**
 * Answers once the request body has been read: answering mid-upload makes Node close the connection
 * under the client, which then reports a broken pipe instead of the status under test.
 */
function answer(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  status: number,
  body: string,
): void {
  const send = (): void => {
    outgoing.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    outgoing.end(body);
  };
  if (incoming.complete) send();
  else incoming.once('end', send);
  incoming.resume();
}

export async function startFaultyProxy(
  registryHost: string,
  options: FaultyProxyOptions = {},
): Promise<FaultyProxy> {
  const [targetHost = '127.0.0.1', targetPort = '80'] = registryHost.split(':');
  const faults: { fault: ProxyFault; remaining: number }[] = [];
  const expiryTriggers: ((request: IncomingMessage) => boolean)[] = [];
  const hooks: {
    matches: (request: IncomingMessage) => boolean;
    action: () => Promise<void>;
  }[] = [];
  const log: string[] = [];
  const issuer = options.issueTokens;
  const newToken = (): string => `ecr-token-${randomBytes(12).toString('hex')}`;
  let current = newToken();
  const expired = new Set<string>();
  const inFlight = new Set<ClientRequest>();
  let served = 0;
  let expiredAnswers = 0;
  const expire = (): void => {
    expired.add(current);
    current = newToken();
  };

  const server = createServer((incoming, outgoing) => {
    const hook = hooks.findIndex(({ matches }) => matches(incoming));
    if (hook >= 0) {
      const [{ action }] = hooks.splice(hook, 1) as [(typeof hooks)[number]];
      incoming.pause();
      void action().finally(() => {
        if (!incoming.destroyed) handle(incoming, outgoing);
      });
      return;
    }
    handle(incoming, outgoing);
  });

  function handle(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const trigger = expiryTriggers.findIndex((matches) => matches(incoming));
    if (trigger >= 0) {
      expiryTriggers.splice(trigger, 1);
      expire();
    }
    if (issuer !== undefined) {
      const authorization = incoming.headers.authorization;
      if ([...expired].some((token) => authorization === basic(issuer.username, token))) {
        expiredAnswers += 1;
        log.push(`${incoming.method ?? ''} ${incoming.url ?? ''} -> 403 (expired token)`);
        answer(incoming, outgoing, 403, ECR_EXPIRED_TOKEN_BODY);
        return;
      }
      if (authorization === basic(issuer.username, current)) {
        incoming.headers.authorization = basic(issuer.username, issuer.password);
      }
    }
    const due = faults.find(({ fault, remaining }) => remaining > 0 && fault.matches(incoming));
    if (due !== undefined) {
      due.remaining -= 1;
      served += 1;
      const status = due.fault.status ?? 500;
      log.push(`${incoming.method ?? ''} ${incoming.url ?? ''} -> ${String(status)} (injected)`);
      answer(
        incoming,
        outgoing,
        status,
        due.fault.body ??
          JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected by the test proxy' }] }),
      );
      return;
    }
    const forwarded = httpRequest(
      {
        host: targetHost,
        port: Number(targetPort),
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        log.push(
          `${incoming.method ?? ''} ${incoming.url ?? ''} -> ${String(response.statusCode)}`,
        );
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    // A client that goes away mid-request (a killed docker push) must not leave the upstream request
    // open: it would hold the registry connection, and the test process, forever.
    inFlight.add(forwarded);
    forwarded.on('close', () => inFlight.delete(forwarded));
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) forwarded.destroy();
    });
    forwarded.on('error', (error) => {
      if (outgoing.headersSent || outgoing.destroyed) {
        outgoing.destroy();
        return;
      }
      outgoing.writeHead(502);
      outgoing.end(error.message);
    });
    incoming.pipe(forwarded);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${String(port)}`,
    log,
    faultsServed: () => served,
    addFault: (fault) => {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    token: () => {
      if (issuer === undefined) throw new Error('startFaultyProxy: issueTokens is not set');
      return current;
    },
    expireToken: expire,
    expireTokenOn: (matches) => {
      expiryTriggers.push(matches);
    },
    expiredTokenAnswers: () => expiredAnswers,
    when: (matches, action) => {
      hooks.push({ matches, action });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
        for (const request of inFlight) request.destroy();
      }),
  };
}
