import { connect, createServer, type Socket } from 'node:net';

/**
 * A byte-counting TCP relay in front of the simulator, for the bytes a sweep sends to the partner
 * API (AWS bills data transfer out). The simulator and dynalite run in processes of their own, as
 * `npm run bench` runs them (bench/children.ts), so the CPU time measured here is the sweep's alone.
 */

export interface Relay {
  url: string;
  /** Bytes the client sent (requests) and received (answers) since the last reset. */
  bytes(): { sent: number; received: number };
  reset(): void;
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 to `target`'s port that counts the bytes each way. */
export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port, protocol } = new URL(target);
  const counts = { sent: 0, received: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      counts.sent += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.received += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay has no port');
  return {
    url: `${protocol}//127.0.0.1:${address.port}`,
    bytes: () => ({ ...counts }),
    reset() {
      counts.sent = 0;
      counts.received = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
