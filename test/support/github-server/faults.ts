import type { Fault, FaultInjector } from './types.js';
import { ApiError, type Reply } from './http.js';

interface ActiveFault {
  fault: Fault;
  remaining: number;
}

/** What the server does with a request a fault matched. */
export type FaultAction =
  | { type: 'reply'; reply: Reply }
  | { type: 'delay'; delayMs: number }
  | { type: 'drop' }
  | { type: 'drop-after' }
  | { type: 'before'; run: () => Promise<unknown> };

export class Faults implements FaultInjector {
  private active: ActiveFault[] = [];

  add(fault: Fault): void {
    if (fault.kind === 'before' && fault.before === undefined)
      throw new Error("a 'before' fault needs a `before` function");
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`fault.times must be >= 1, got ${String(times)}`);
    this.active.push({ fault, remaining: times });
  }

  clear(): void {
    this.active = [];
  }

  get pending(): number {
    return this.active.length;
  }

  /** Consumes one use of the first fault matching `${method} ${path}`, in the order added. */
  take(method: string, path: string): FaultAction | undefined {
    const target = `${method} ${path}`;
    const match = this.active.find(({ fault }) =>
      typeof fault.route === 'string' ? target.includes(fault.route) : fault.route.test(target),
    );
    if (match === undefined) return undefined;
    match.remaining -= 1;
    if (match.remaining === 0) this.active = this.active.filter((active) => active !== match);
    return actionFor(match.fault);
  }
}

function actionFor(fault: Fault): FaultAction {
  const retryAfter = fault.retryAfterSeconds ?? 1;
  switch (fault.kind) {
    case 'server-error': {
      const status = fault.status ?? 502;
      return { type: 'reply', reply: new ApiError(status, serverErrorMessage(status)).toReply() };
    }
    case 'secondary-rate-limit':
      // Octokit's throttling plugin recognises this case by /secondary rate/i in the message.
      return {
        type: 'reply',
        reply: new ApiError(
          403,
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          {
            documentation_url:
              'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
          },
          { 'retry-after': String(retryAfter) },
        ).toReply(),
      };
    case 'rate-limit': {
      const reset = Math.floor(Date.now() / 1000) + retryAfter;
      return {
        type: 'reply',
        reply: new ApiError(
          fault.rateLimitStatus ?? 429,
          'API rate limit exceeded for installation ID 1.',
          {},
          {
            'retry-after': String(retryAfter),
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '5000',
            'x-ratelimit-reset': String(reset),
            'x-ratelimit-resource': 'core',
          },
        ).toReply(),
      };
    }
    case 'slow':
      return { type: 'delay', delayMs: fault.delayMs ?? 1000 };
    case 'drop':
      return { type: 'drop' };
    case 'drop-after':
      return { type: 'drop-after' };
    case 'before':
      return { type: 'before', run: fault.before ?? (() => Promise.resolve()) };
  }
}

function serverErrorMessage(status: number): string {
  if (status === 502) return 'Server Error';
  if (status === 503) return 'Service Unavailable';
  if (status === 504) return 'We couldn\u2019t respond to your request in time. Sorry about that.';
  return 'Internal Server Error';
}
