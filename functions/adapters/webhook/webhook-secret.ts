import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { createJsonSecret } from '../secrets/json-secret.ts';
import { parseWebhookUrl, type WebhookTarget } from './webhook-channel.ts';

/**
 * The webhook's URL and shared secret, kept in a secret of their own (a Slack webhook URL is itself a
 * credential): `{"url": "https://...", "secret": "..."}`, cached for five minutes like the partner's.
 */

const schema = z.object({
  url: z
    .string()
    .trim()
    .min(1)
    .transform((text, ctx) => {
      try {
        return parseWebhookUrl(text, 'url');
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  secret: z.string().trim().min(1),
});

const WEBHOOK_SECRET_SHAPE = '{"url": "https://...", "secret": "..."}';

export function createWebhookSecret(options: {
  client: SecretsManagerClient;
  secretId: string;
  ttlMs?: number;
  now?: () => number;
}): () => Promise<WebhookTarget> {
  const secret = createJsonSecret({ ...options, schema, shape: WEBHOOK_SECRET_SHAPE });
  return () => secret.get();
}
