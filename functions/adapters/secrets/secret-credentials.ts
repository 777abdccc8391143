import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { createJsonSecret, type JsonSecret } from './json-secret.ts';

/**
 * The partner's API credentials from Secrets Manager, cached for five minutes; rotation is caught
 * sooner by a forced refresh on 401.
 */

export interface PartnerCredentials {
  authId: string;
  authToken: string;
}

const schema = z.object({
  authId: z.string().trim().min(1),
  authToken: z.string().trim().min(1),
});

export interface SecretCredentialsOptions {
  client: SecretsManagerClient;
  secretId: string;
  ttlMs?: number;
  now?: () => number;
}

export function createSecretCredentials(options: SecretCredentialsOptions): JsonSecret<PartnerCredentials> {
  return createJsonSecret({ ...options, schema, shape: '{"authId": "PA_...", "authToken": "..."}' });
}
