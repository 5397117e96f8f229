/**
 * SSM's error wire form (AWS JSON 1.1): HTTP 400 (403 for authentication, 5xx for service faults) with
 * `{"__type": "<Name>", "message": "..."}`. `message` is optional: SSM sends ParameterNotFound without one.
 */
export class SsmApiError extends Error {
  readonly type: string;
  readonly status: number;
  readonly hasMessage: boolean;

  constructor(type: string, message: string | undefined, status = 400) {
    super(message ?? '');
    this.type = type;
    this.status = status;
    this.hasMessage = message !== undefined;
  }
}

/** AWS's request validation failure ("1 validation error detected: ..."). */
export function validationError(detail: string): SsmApiError {
  return new SsmApiError('ValidationException', `1 validation error detected: ${detail}`);
}
