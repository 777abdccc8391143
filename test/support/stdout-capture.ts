import { vi } from 'vitest';

/**
 * Takes what the handler writes to stdout and stderr (Powertools' JSON log lines, warnings and
 * errors on stderr, and its EMF metric blobs: what Lambda ships to CloudWatch) instead of letting
 * it print into the test output.
 */

export interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: unknown;
}

export interface StdoutCapture {
  /** Every JSON object written so far, one per line. */
  records(): Record<string, unknown>[];
  /** The metrics in the EMF blobs written so far, one entry per metric per blob. */
  metrics(): EmittedMetric[];
  /** The log lines (not EMF) with this message. */
  logs(message: string): Record<string, unknown>[];
  clear(): void;
  restore(): void;
}

export function captureStdout(): StdoutCapture {
  let text = '';
  const take = (chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(take),
    vi.spyOn(process.stderr, 'write').mockImplementation(take),
  ];
  const records = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    records,
    metrics: () => records().flatMap(emfMetrics),
    logs: (message) => records().filter((r) => !('_aws' in r) && r.message === message),
    clear: () => {
      text = '';
    },
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string }[];
}

/** The CloudWatch embedded metric format: each directive's metrics, under each dimension set. */
export function emfMetrics(record: Record<string, unknown>): EmittedMetric[] {
  const aws = record._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined;
  if (!aws?.CloudWatchMetrics) return [];
  return aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((set) =>
      directive.Metrics.map((metric) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        dimensions: Object.fromEntries(set.map((key) => [key, String(record[key])])),
        value: record[metric.Name],
      })),
    ),
  );
}
