import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * The simulator and dynalite, each in a process of its own (as `npm run bench` runs them), so the
 * CPU time measured in this process is the sweep's alone; and a byte-counting TCP relay in front of
 * the simulator, for the bytes a sweep sends to the partner API (AWS bills data transfer out).
 */

export interface Child {
  process: ChildProcess;
  firstLine: Promise<string>;
}

export function start(script: string, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it said anything`)));
  });
  return { process: child, firstLine };
}

export async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

export interface SimProcess {
  child: Child;
  url: string;
  partner: { authId: string; authToken: string };
  /** The simulator's control surface (no latency, not counted in its stats). */
  control(path: string, body?: unknown, method?: string): Promise<unknown>;
}

const PARTNER = { authId: 'PA_COST00001', authToken: 'cost-model-partner-token' };

export async function startSim(accounts: number, latencyMs: number, seed: number): Promise<SimProcess> {
  const child = start('sim/main.ts', [
    '--accounts',
    String(accounts),
    '--latency-ms',
    String(latencyMs),
    '--port',
    '0',
    '--seed',
    String(seed),
    '--partner-id',
    PARTNER.authId,
    '--partner-token',
    PARTNER.authToken,
  ]);
  const line = await child.firstLine;
  const url = /https?:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0];
  if (!url) throw new Error(`simulator did not print its URL: ${line}`);
  return {
    child,
    url,
    partner: PARTNER,
    async control(path, body, method) {
      const response = await fetch(`${url}/__sim${path}`, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`simulator control ${path}: ${response.status}`);
      return response.json();
    },
  };
}

export async function startStore(): Promise<{ child: Child; endpoint: string }> {
  const child = start('bench/store-child.ts', []);
  const { endpoint } = JSON.parse(await child.firstLine) as { endpoint: string };
  return { child, endpoint };
}

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
