import { createHash } from 'node:crypto';

/** SHA-256 of a UTF-8 text, base64: the report's Content-Security-Policy hashes. */
export function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}
