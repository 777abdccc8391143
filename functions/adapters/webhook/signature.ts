import { createHmac } from 'node:crypto';

/**
 * How a webhook request proves where it came from and when (documented in README, "Webhook"):
 *
 *   X-Signature-Timestamp: <unix seconds>
 *   X-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body bytes)>
 *
 * The timestamp is inside the signed material, so a captured request cannot be replayed later
 * with a fresh timestamp; a receiver checks the signature over the exact bytes it received, refuses
 * timestamps more than a few minutes off, and drops an `Idempotency-Key` it has already seen.
 */

export const SIGNATURE_HEADER = 'X-Signature';
export const TIMESTAMP_HEADER = 'X-Signature-Timestamp';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export function signature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body, 'utf8').digest('hex');
  return `sha256=${mac}`;
}
