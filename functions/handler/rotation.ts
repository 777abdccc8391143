import type { Logger } from '@aws-lambda-powertools/logger';
import type { PartnerCredentials } from '../adapters/secrets/secret-credentials.ts';
import { CredentialsError } from '../core/errors.ts';

export interface CredentialSource {
  get(force?: boolean): Promise<PartnerCredentials>;
}

/**
 * Runs `work` with the partner's credentials; when the API rejects them, reads the secret again,
 * bypassing its cache, and retries once with what it holds now (the partner may have rotated the
 * token). Never a loop: the same credentials twice, or a second rejection, is the error.
 */
export async function withRotation<T>(
  source: CredentialSource,
  logger: Logger,
  work: (credentials: PartnerCredentials) => Promise<T>,
): Promise<T> {
  const credentials = await source.get();
  try {
    return await work(credentials);
  } catch (error) {
    if (!(error instanceof CredentialsError)) throw error;
    const fresh = await source.get(true);
    if (fresh.authId === credentials.authId && fresh.authToken === credentials.authToken) throw error;
    logger.warn('partner credentials were rejected; retrying once with the refreshed secret');
    return work(fresh);
  }
}
