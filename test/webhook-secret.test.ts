import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createWebhookSecret } from '../functions/adapters/webhook/webhook-secret.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { WEBHOOK_SECRET_PLACEHOLDER } from '../lib/balance-monitor-stack.ts';

const secrets = mockClient(SecretsManagerClient);
const SECRET = 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:WebhookSecret-AbCdEf';

function target(now: () => number = () => 0) {
  return createWebhookSecret({
    client: new SecretsManagerClient({ region: 'ap-south-1' }),
    secretId: SECRET,
    now,
  });
}

beforeEach(() => {
  secrets.reset();
});

describe('webhook secret', () => {
  it('reads the URL and the shared secret, and caches them for five minutes', async () => {
    // Arrange
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{"url":"https://hooks.slack.com/services/T/B/x","secret":"s3"}' });
    let clock = 0;
    const read = target(() => clock);

    // Act
    const first = await read();
    clock = 4 * 60_000;
    await read();

    // Assert
    expect(first.url.href).toBe('https://hooks.slack.com/services/T/B/x');
    expect(first.secret).toBe('s3');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it.each([
    [WEBHOOK_SECRET_PLACEHOLDER, /still holds the placeholder/],
    [
      '{"url":"http://hooks.example.com/services/T/B/hunter2","secret":"s"}',
      /url must be https .*got http:\/\/hooks\.example\.com;/,
    ],
    ['{"url":"https://hooks.example.com/x"}', /lacks a non-empty secret/],
  ])('refuses %j with one line naming the secret, never a credential', async (value, message) => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });

    // Act
    const error = await target()().then(
      () => null,
      (e: unknown) => e as Error,
    );

    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain(SECRET);
    expect(error?.message).not.toContain('hunter2');
  });
});
