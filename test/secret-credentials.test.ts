import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSecretCredentials } from '../functions/adapters/secrets/secret-credentials.ts';
import { ConfigError, FatalError } from '../functions/core/errors.ts';

const secrets = mockClient(SecretsManagerClient);
const SECRET = 'vobiz-balance/partner-credentials';

function credentials(now: () => number = () => 0) {
  return createSecretCredentials({
    client: new SecretsManagerClient({ region: 'ap-south-1' }),
    secretId: SECRET,
    now,
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

beforeEach(() => {
  secrets.reset();
});

describe('partner credentials from Secrets Manager', () => {
  it('reads and caches the secret for five minutes', async () => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"authId":"PA_1","authToken":"tok-1"}' });
    let clock = 0;
    const source = credentials(() => clock);

    // Act
    const first = await source.get();
    clock = 4 * 60_000;
    await source.get();
    clock = 5 * 60_000 + 1;
    await source.get();

    // Assert
    expect(first).toEqual({ authId: 'PA_1', authToken: 'tok-1' });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET });
  });

  it('fetches again when forced, to pick up a rotated token', async () => {
    // Arrange
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"authId":"PA_1","authToken":"old"}' })
      .resolves({ SecretString: '{"authId":"PA_1","authToken":"new"}' });
    const source = credentials();

    // Act
    await source.get();
    const refreshed = await source.get(true);

    // Assert
    expect(refreshed.authToken).toBe('new');
  });

  it.each([
    ['{"authId":"REPLACE_ME","authToken":"REPLACE_ME"}', /still holds the placeholder/],
    ['not json at all: hunter2', /is not JSON/],
    ['{"authId":"PA_1"}', /lacks a non-empty authToken/],
    ['{"authId":"  ","authToken":"hunter2"}', /lacks a non-empty authId/],
  ])('refuses %j with one line naming the secret and never its value', async (value, message) => {
    // Arrange
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });

    // Act
    const error = await failure(credentials().get());

    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(SECRET);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('\n');
  });

  it('fails fatally, naming the secret, when Secrets Manager refuses', async () => {
    // Arrange
    secrets
      .on(GetSecretValueCommand)
      .rejects(new Error('User is not authorized to perform secretsmanager:GetSecretValue'));

    // Act
    const error = await failure(credentials().get());

    // Assert
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toBe(
      `cannot read secret ${SECRET}: User is not authorized to perform secretsmanager:GetSecretValue`,
    );
  });
});
