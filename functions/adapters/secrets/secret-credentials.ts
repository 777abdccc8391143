import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { SECRET_PLACEHOLDER as PLACEHOLDER } from '../../contract/handler.ts';
import { ConfigError, FatalError, oneLine } from '../../core/errors.ts';

/**
 * The partner's API credentials from Secrets Manager, cached across warm invocations.
 * Error messages name the secret, never its value.
 */

export interface PartnerCredentials {
  authId: string;
  authToken: string;
}

const secretSchema = z.object({
  authId: z.string().trim().min(1),
  authToken: z.string().trim().min(1),
});

export interface SecretCredentialsOptions {
  client: SecretsManagerClient;
  secretId: string;
  /** How long a fetched value is trusted; rotation is caught sooner by a forced refresh on 401. */
  ttlMs?: number;
  now?: () => number;
}

export function createSecretCredentials(options: SecretCredentialsOptions) {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { value: PartnerCredentials; fetchedAt: number } | null = null;

  async function fetchSecret(): Promise<PartnerCredentials> {
    let text: string | undefined;
    try {
      const result = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
      text = result.SecretString;
    } catch (error) {
      throw new FatalError(`cannot read secret ${options.secretId}: ${oneLine(error)}`);
    }
    if (text === undefined) throw new ConfigError(`secret ${options.secretId} has no string value`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(
        `secret ${options.secretId} is not JSON; it must be {"authId": "PA_...", "authToken": "..."}`,
      );
    }
    const parsed = secretSchema.safeParse(json);
    if (!parsed.success) {
      const key = parsed.error.issues[0]?.path.join('.') || 'value';
      throw new ConfigError(
        `secret ${options.secretId} lacks a non-empty ${key}; it must be {"authId": "PA_...", "authToken": "..."}`,
      );
    }
    if (parsed.data.authId === PLACEHOLDER || parsed.data.authToken === PLACEHOLDER) {
      throw new ConfigError(
        `secret ${options.secretId} still holds the placeholder; put the partner's credentials in it (see docs/DEPLOY.md)`,
      );
    }
    return parsed.data;
  }

  return {
    /** The cached credentials, fetched again when older than the TTL or when `force` is set. */
    async get(force = false): Promise<PartnerCredentials> {
      if (!force && cached && now() - cached.fetchedAt < ttlMs) return cached.value;
      const value = await fetchSecret();
      cached = { value, fetchedAt: now() };
      return value;
    },
  };
}

export type SecretCredentials = ReturnType<typeof createSecretCredentials>;
