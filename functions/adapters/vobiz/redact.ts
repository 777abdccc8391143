/**
 * Text quoted from a response into an error message. Only error responses (non-2xx) are ever
 * quoted, and even those are cut short and stripped of anything that could be a credential,
 * because a message ends up in logs, failure records and notifications.
 */

const QUOTE_LIMIT = 200;

/** A long run of letters and digits mixed together: tokens, keys, signatures. */
const TOKEN_LIKE = /[A-Za-z0-9_\-+/=.]{16,}/g;
const NAMED_SECRET = /((?:token|secret|password|authorization)["']?\s*[:=]\s*["']?)[^"',\s}]+/gi;

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out
    .replace(NAMED_SECRET, '$1[redacted]')
    .replace(TOKEN_LIKE, (run) => (/\d/.test(run) && /[A-Za-z]/.test(run) ? '[redacted]' : run));
}

/** One line of at most ~200 characters describing an error body, or '' when there is nothing useful. */
export function quoteErrorBody(body: string, secrets: readonly string[] = []): string {
  let text = body;
  try {
    text = messageOf(JSON.parse(body)) ?? body;
  } catch {
    // Not JSON: a proxy's HTML page says what it means in its text, not its tags.
    text = body.replace(/<[^>]*>/g, ' ');
  }
  const line = redact(text.replace(/\s+/g, ' ').trim(), secrets);
  return line.length > QUOTE_LIMIT ? `${line.slice(0, QUOTE_LIMIT - 1)}…` : line;
}

/** Both documented error shapes: `{error:{code,message}}` and `{error:"code",message}`. */
function messageOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const { error, message } = json as { error?: unknown; message?: unknown };
  const nested =
    typeof error === 'object' && error !== null ? (error as { code?: unknown; message?: unknown }) : null;
  const code = typeof error === 'string' ? error : typeof nested?.code === 'string' ? nested.code : undefined;
  const text =
    typeof message === 'string' ? message : typeof nested?.message === 'string' ? nested.message : undefined;
  if (code && text) return `${code}: ${text}`;
  return text ?? code;
}
