/**
 * A tiny HTTP proxy in front of the test registry that answers chosen requests with an error instead
 * of forwarding them, so docker meets a registry failing mid-push. Docker talks to it as the registry
 * (`127.0.0.1:PORT`, plain HTTP like any 127.0.0.0/8 registry).
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyFault {
  /** Which requests it hits, e.g. docker's manifest PUT. */
  readonly matches: (request: IncomingMessage) => boolean;
  /** HTTP status answered instead, default 500. */
  readonly status?: number;
  /** How many matching requests fail before the proxy forwards them again. Default 1. */
  readonly times?: number;
}

export interface FaultyProxy {
  /** `127.0.0.1:PORT`, to use as the registry host. */
  readonly host: string;
  /** Every request seen, as `METHOD path -> status`. */
  readonly log: readonly string[];
  /** How many requests were answered with a fault. */
  faultsServed(): number;
  addFault(fault: ProxyFault): void;
  close(): Promise<void>;
}

/** docker's manifest upload: `PUT /v2/<name>/manifests/<reference>` from the docker engine. */
export const dockerManifestPut = (request: IncomingMessage): boolean =>
  request.method === 'PUT' &&
  /^\/v2\/.+\/manifests\/[^/]+$/.test(request.url ?? '') &&
  (request.headers['user-agent'] ?? '').includes('docker/');

export async function startFaultyProxy(registryHost: string): Promise<FaultyProxy> {
  const [targetHost = '127.0.0.1', targetPort = '80'] = registryHost.split(':');
  const faults: { fault: ProxyFault; remaining: number }[] = [];
  const log: string[] = [];
  let served = 0;
  const server = createServer((incoming, outgoing) => {
    const due = faults.find(({ fault, remaining }) => remaining > 0 && fault.matches(incoming));
    if (due !== undefined) {
      due.remaining -= 1;
      served += 1;
      const status = due.fault.status ?? 500;
      log.push(`${incoming.method ?? ''} ${incoming.url ?? ''} -> ${String(status)} (injected)`);
      incoming.resume();
      const body = JSON.stringify({
        errors: [{ code: 'UNKNOWN', message: 'injected by the test proxy' }],
      });
      outgoing.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      outgoing.end(body);
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
    forwarded.on('error', (error) => {
      outgoing.writeHead(502);
      outgoing.end(error.message);
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${String(port)}`,
    log,
    faultsServed: () => served,
    addFault: (fault) => {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
