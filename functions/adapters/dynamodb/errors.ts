import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FatalError, oneLine } from '../../core/errors.ts';

/**
 * Turns the DynamoDB failures no retry can fix (no endpoint, no table, no permission)
 * into a FatalError with one line naming the table and the endpoint, so an operator
 * knows what to fix without reading a stack trace.
 */

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

const DENIED_NAMES = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The socket error code, wherever the SDK or Node put it (AggregateError with happy eyeballs). */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as ErrorLike;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = networkCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return networkCode(e.cause, depth + 1);
}

export function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as ErrorLike).name;
  return typeof name === 'string' ? name : undefined;
}

/** Where the client sends its requests, for messages. */
export async function describeEndpoint(client: DynamoDBClient): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.();
    if (endpoint) {
      const port = endpoint.port ? `:${endpoint.port}` : '';
      const path = endpoint.path && endpoint.path !== '/' ? endpoint.path : '';
      return `${endpoint.protocol}//${endpoint.hostname}${port}${path}`;
    }
    return `https://dynamodb.${await client.config.region()}.amazonaws.com`;
  } catch {
    return 'the configured DynamoDB endpoint';
  }
}

/** The fatal one-liner for this error, or undefined when it is not fatal. */
export function fatalReason(error: unknown): string | undefined {
  const code = networkCode(error);
  if (code) return `is unreachable (${code})`;
  const name = errorName(error);
  if (name === 'TimeoutError') return 'is unreachable (request timed out)';
  if (name === 'ResourceNotFoundException') return 'does not exist (ResourceNotFoundException)';
  if (name && DENIED_NAMES.has(name)) return `refused access (${name}: ${oneLine(error).slice(0, 200)})`;
  return undefined;
}

/** The error to throw for `error`: a FatalError naming table and endpoint, or the error itself. */
export async function storeError(
  error: unknown,
  client: DynamoDBClient,
  tableName: string,
): Promise<unknown> {
  if (error instanceof FatalError) return error;
  const reason = fatalReason(error);
  if (!reason) return error;
  const endpoint = await describeEndpoint(client);
  return new FatalError(`DynamoDB table ${tableName} at ${endpoint} ${reason}`, { cause: error });
}
