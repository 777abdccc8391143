/**
 * Error bodies. The contract documents two shapes and never says which the partner API
 * uses (§1, §11), so the simulator alternates between them: a client that only copes
 * with one of them fails its tests early.
 */

export interface FieldError {
  field: string;
  message: string;
  code: string;
  value: unknown;
}

export interface ErrorSpec {
  status: number;
  /** lower_snake; the envelope shape writes it in UPPER_SNAKE. */
  code: string;
  message: string;
  /** Validation failures: always in the envelope shape, whose `details.errors` the docs describe (§11). */
  errors?: FieldError[];
  /** Extra keys: `details` in the envelope, top-level keys in the flat shape. */
  extra?: Record<string, unknown>;
}

export class ErrorShapes {
  private count = 0;
  private requestSeq = 0;

  body(spec: ErrorSpec): Record<string, unknown> {
    const envelope = spec.errors !== undefined || this.count++ % 2 === 0;
    if (!envelope) return { error: spec.code, message: spec.message, ...spec.extra };
    const details = spec.errors !== undefined ? { ...spec.extra, errors: spec.errors } : spec.extra;
    return {
      status: 'error',
      error: { code: spec.code.toUpperCase(), message: spec.message, ...(details ? { details } : {}) },
      timestamp: new Date().toISOString(),
      requestId: `req_sim${(++this.requestSeq).toString(16).padStart(8, '0')}`,
    };
  }
}

/** What a load balancer in front of the API answers with: HTML, not JSON. */
export function loadBalancerPage(status: number): string {
  const title = `${status} ${REASONS[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

const REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};
