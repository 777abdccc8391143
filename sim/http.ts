import type { IncomingMessage } from 'node:http';

/** Small node:http helpers shared by the API and the control surface. */

export interface ReadResult {
  text: string;
  tooLarge: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the whole request body (drained even past the limit, so keep-alive connections stay usable). */
export function readBody(req: IncomingMessage): Promise<ReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES }),
    );
    // An aborted upload: answer as if empty; the response goes nowhere anyway.
    req.on('error', () => resolve({ text: '', tooLarge: false }));
    req.on('close', () =>
      resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES }),
    );
  });
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
