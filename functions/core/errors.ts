/**
 * Errors the sweep reacts to differently. Adapters throw these so the core can decide
 * without knowing about HTTP or DynamoDB.
 */

/** The whole sweep cannot go on (bad partner credentials, unreachable store, bad config). */
export class FatalError extends Error {
  override name = 'FatalError';
}

/** 401/403 from the partner API: the partner's credentials are wrong, revoked or lack a permission. */
export class CredentialsError extends FatalError {
  override name = 'CredentialsError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Configuration that cannot work; the message names the setting. */
export class ConfigError extends FatalError {
  override name = 'ConfigError';
}

/** One request failed for good (after retries) or is not worth retrying; the sweep goes on. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    /** HTTP status, or null for network errors, timeouts and malformed bodies. */
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** The sweep's deadline passed before the work could be done. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** One line, whatever the error was: for stderr and for failure records. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}
