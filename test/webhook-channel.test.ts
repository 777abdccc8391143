import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookChannel, parseWebhookUrl } from '../functions/adapters/webhook/webhook-channel.ts';
import { ConfigError } from '../functions/core/errors.ts';
import type { Notification } from '../functions/core/types.ts';
import { notification } from './support/notifications.ts';
import { type Receiver, signatureValid, startReceiver } from './support/webhook-receiver.ts';

/*
 * The webhook channel against a real HTTP receiver on 127.0.0.1; the test checks signatures
 * itself with node:crypto, as a receiver would. Waits between retries are recorded, not slept.
 */

const SECRET = 'shared-secret-for-tests';
const NOW = Date.parse('2026-11-27T03:31:00Z');

let receiver: Receiver;
let waits: number[];

beforeEach(async () => {
  receiver = await startReceiver();
  waits = [];
});

afterEach(async () => {
  await receiver.close();
});

function channel(overrides: Partial<Parameters<typeof createWebhookChannel>[0]> = {}) {
  return createWebhookChannel({
    target: async () => ({ url: new URL(receiver.url), secret: SECRET }),
    digestSize: 10,
    now: () => NOW,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
}

type Body = {
  text: string;
  id: string;
  kind: string;
  event_type: string;
  severity: string;
  document: unknown;
};

function bodies(): Body[] {
  return receiver.requests.map((r) => JSON.parse(r.body) as Body);
}

describe('webhook channel', () => {
  it('posts each notification as signed JSON with its id as the idempotency key', async () => {
    // Arrange
    const [a, b] = [notification(1, 'critical'), notification(2, 'low')];

    // Act
    const outcomes = await channel().publish([b, a]);

    // Assert
    expect(outcomes).toEqual([
      { id: b.id, ok: true },
      { id: a.id, ok: true },
    ]);
    expect(receiver.requests).toHaveLength(2);
    for (const request of receiver.requests) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(request.headers['x-signature-timestamp']).toBe(String(NOW / 1000));
      expect(signatureValid(request, SECRET)).toBe(true);
      expect(signatureValid(request, 'another-secret')).toBe(false);
    }
    // Most severe first, each the notification's own document.
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual([a.id, b.id]);
    const [first] = bodies();
    expect(first).toMatchObject({ id: a.id, kind: 'single', event_type: 'critical', severity: 'critical' });
    expect(first?.document).toEqual(a);
    expect(first?.text).toContain('CRITICAL Customer 1 (MA_00000001): balance -12.50 INR');
  });

  it('signs the exact bytes sent, so a body changed on the way fails the check', async () => {
    // Arrange
    const n = notification(3, 'low', 'Café 北京 "quoted" \\ back');

    // Act
    await channel().publish([n]);

    // Assert
    const [request] = receiver.requests;
    if (!request) throw new Error('nothing was posted');
    expect(signatureValid(request, SECRET)).toBe(true);
    expect(signatureValid({ ...request, body: request.body.replace('42.00000', '4200.00000') }, SECRET)).toBe(
      false,
    );
    // The timestamp is signed too: replaying the body under a fresh timestamp fails.
    const replayed = {
      ...request,
      headers: { ...request.headers, 'x-signature-timestamp': String(NOW / 1000 + 600) },
    };
    expect(signatureValid(replayed, SECRET)).toBe(false);
  });

  it('gives Slack a text field in which a customer name cannot mention or link anyone', async () => {
    // Arrange
    const n = notification(4, 'low', '<!channel> & <https://evil.example|click>');

    // Act
    await channel().publish([n]);

    // Assert
    const [body] = bodies();
    expect(body?.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(body?.text).not.toMatch(/[<>]/);
    expect((body?.document as Notification | undefined)?.name).toBe(n.name);
  });

  it('turns a flood into a digest whose idempotency key is the same for the same notifications', async () => {
    // Arrange
    const flood = Array.from({ length: 12 }, (_, i) => notification(i, 'low'));

    // Act
    await channel().publish(flood);
    await channel().publish([...flood].reverse());

    // Assert
    expect(bodies().map((b) => b.kind)).toEqual(['digest', 'digest']);
    const keys = receiver.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^digest:[0-9a-f]{16}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(bodies()[0]?.text).toMatch(/^12 balance notifications in one sweep \(12 low\)/);
  });

  it('retries a 503 with backoff and a 429 after its Retry-After, then delivers', async () => {
    // Arrange
    const answers = [
      { status: 503, body: 'busy' },
      { status: 429, headers: { 'Retry-After': '2' }, body: 'rate_limited' },
    ];
    receiver.respond = () => answers.shift() ?? { status: 200 };

    // Act
    const outcomes = await channel().publish([notification(5)]);

    // Assert
    expect(outcomes).toEqual([{ id: notification(5).id, ok: true }]);
    expect(receiver.requests).toHaveLength(3);
    expect(waits).toEqual([250, 2_000]);
    // Every attempt is the same message, so a receiver that got an earlier one drops the repeat.
    expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('does not retry a 4xx, names the host and the answer, and goes on with the next message', async () => {
    // Arrange
    const [bad, good] = [notification(6, 'critical'), notification(7, 'low')];
    receiver.respond = (r) =>
      r.headers['idempotency-key'] === bad.id ? { status: 400, body: 'invalid_payload' } : { status: 200 };

    // Act
    const outcomes = await channel().publish([bad, good]);

    // Assert
    const host = new URL(receiver.url).host;
    expect(outcomes).toEqual([
      { id: bad.id, ok: false, error: `webhook ${host}: HTTP 400: invalid_payload` },
      { id: good.id, ok: true },
    ]);
    expect(receiver.requests).toHaveLength(2);
    expect(waits).toEqual([]);
    expect(outcomes[0]).not.toMatchObject({ error: expect.stringContaining('secret-path') });
  });

  it('leaves every message for the next sweep once the receiver stays down, without trying each', async () => {
    // Arrange
    receiver.respond = () => ({ status: 502, body: 'bad gateway' });
    const notifications = [notification(8, 'critical'), notification(9), notification(10)];

    // Act
    const outcomes = await channel().publish(notifications);

    // Assert
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key']))).toEqual(
      new Set([notification(8, 'critical').id]),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, false]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        error: expect.stringMatching(/HTTP 502: bad gateway \(gave up after 3 attempts\)$/),
      });
    }
  });

  it('treats a refused connection as a network error worth retrying', async () => {
    // Arrange
    const url = new URL(receiver.url);
    await receiver.close();

    // Act
    const outcomes = await channel({ target: async () => ({ url, secret: SECRET }) }).publish([
      notification(11),
    ]);

    // Assert
    expect(outcomes[0]).toMatchObject({
      ok: false,
      error: expect.stringContaining('network error: ECONNREFUSED'),
    });
    expect(waits).toHaveLength(2);
    receiver = await startReceiver();
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    // Arrange: a server that reads the request and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`);

    // Act
    const outcomes = await channel({
      target: async () => ({ url, secret: SECRET }),
      timeoutMs: 50,
      attempts: 1,
    }).publish([notification(12)]);

    // Assert
    expect(outcomes[0]).toMatchObject({ ok: false, error: expect.stringContaining('timed out after 50 ms') });
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('starts nothing when no time is left, and says the next sweep sends it', async () => {
    // Act
    const outcomes = await channel().publish([notification(13)], { timeLeft: () => 0 });

    // Assert
    expect(receiver.requests).toEqual([]);
    expect(outcomes[0]).toMatchObject({
      ok: false,
      error: expect.stringContaining('the next sweep sends it'),
    });
  });

  it('reports each message accepted before it posts the next', async () => {
    // Arrange
    const seen: string[] = [];
    receiver.respond = (r) => {
      seen.push(`posted ${r.headers['idempotency-key']}`);
      return { status: 200 };
    };
    const [a, b] = [notification(14, 'critical'), notification(15)];

    // Act
    await channel().publish([a, b], {
      onAccepted: async (ids) => {
        seen.push(`settled ${ids.join(',')}`);
      },
    });

    // Assert
    expect(seen).toEqual([`posted ${a.id}`, `settled ${a.id}`, `posted ${b.id}`, `settled ${b.id}`]);
  });

  it('refuses everything with one line when its target cannot be read', async () => {
    // Arrange
    const broken = channel({
      target: async () => {
        throw new ConfigError('secret vobiz-balance/webhook still holds the placeholder');
      },
    });

    // Act
    const outcomes = await broken.publish([notification(16)]);

    // Assert
    expect(outcomes).toEqual([
      {
        id: notification(16).id,
        ok: false,
        error: 'secret vobiz-balance/webhook still holds the placeholder',
      },
    ]);
    expect(receiver.requests).toEqual([]);
  });
});

describe('webhook URL', () => {
  it('takes https anywhere and plain http only on a loopback host', () => {
    expect(parseWebhookUrl('https://hooks.slack.com/services/T/B/x', '--webhook-url').host).toBe(
      'hooks.slack.com',
    );
    expect(parseWebhookUrl('http://127.0.0.1:8080/hook', '--webhook-url').port).toBe('8080');
    expect(parseWebhookUrl('http://localhost/hook', '--webhook-url').hostname).toBe('localhost');
    expect(parseWebhookUrl('http://[::1]:9/hook', '--webhook-url').hostname).toBe('[::1]');
  });

  it('refuses plain http elsewhere, naming the host but never the path that may hold a credential', () => {
    const attempt = () => parseWebhookUrl('http://hooks.example.com/services/T/B/SECRET', '--webhook-url');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      '--webhook-url must be https (plain http only to 127.0.0.1 or localhost), got http://hooks.example.com',
    );
    expect(() => parseWebhookUrl('not a url SECRET', '--webhook-url')).toThrow(
      /^--webhook-url must be an https URL/,
    );
    expect(() => parseWebhookUrl('not a url SECRET', '--webhook-url')).not.toThrow(/SECRET/);
  });
});
