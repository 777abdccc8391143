import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { z } from 'zod';
import { SECRET_PLACEHOLDER as PLACEHOLDER } from '../../contract/handler.ts';
import { ConfigError, FatalError, oneLine } from '../../core/errors.ts';

/**
 * A JSON secret from Secrets Manager, validated and cached across warm invocations.
 * Error messages name the secret and the key at fault, never a value.
 */

export interface JsonSecretOptions<T> {
  client: SecretsManagerClient;
  secretId: string;
  /** The keys the secret must hold; every string value is trimmed and must not be empty. */
  schema: z.ZodType<T>;
  /** The expected shape, for error messages: `{"authId": "PA_...", "authToken": "..."}`. */
  shape: string;
  /** How long a fetched value is trusted; a forced refresh fetches at once. */
  ttlMs?: number;
  now?: () => number;
}

export interface JsonSecret<T> {
  /** The cached value, fetched again when older than the TTL or when `force` is set. */
  get(force?: boolean): Promise<T>;
}

export function createJsonSecret<T>(options: JsonSecretOptions<T>): JsonSecret<T> {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const { secretId, shape } = options;
  let cached: { value: T; fetchedAt: number } | null = null;

  async function fetchSecret(): Promise<T> {
    let text: string | undefined;
    try {
      const result = await options.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      text = result.SecretString;
    } catch (error) {
      throw new FatalError(`cannot read secret ${secretId}: ${oneLine(error)}`);
    }
    if (text === undefined) throw new ConfigError(`secret ${secretId} has no string value`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(`secret ${secretId} is not JSON; it must be ${shape}`);
    }
    if (typeof json === 'object' && json !== null && Object.values(json).includes(PLACEHOLDER)) {
      throw new ConfigError(
        `secret ${secretId} still holds the placeholder; put the real value in it (see docs/DEPLOY.md)`,
      );
    }
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = issue?.path.join('.') || 'value';
      const why = issue?.code === 'custom' ? issue.message : `lacks a non-empty ${key}`;
      throw new ConfigError(`secret ${secretId} ${why}; it must be ${shape}`);
    }
    return parsed.data;
  }

  return {
    async get(force = false): Promise<T> {
      if (!force && cached && now() - cached.fetchedAt < ttlMs) return cached.value;
      const value = await fetchSecret();
      cached = { value, fetchedAt: now() };
      return value;
    },
  };
}
