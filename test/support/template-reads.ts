import { METRICS } from '../../functions/contract/metrics.ts';
import type { EmittedMetric } from './stdout-capture.ts';

/**
 * What a synthesized template reads from CloudWatch: every metric an alarm or a dashboard widget
 * names (namespace, name, dimensions), for the metric contract test.
 */

type Json = Record<string, unknown>;

export interface ReadMetric {
  /** The alarm's or the dashboard's logical id. */
  where: string;
  namespace: string;
  name: string;
  /** Dimension values; a CloudFormation token is written as <Ref> or <LogicalId.Attr>. */
  dimensions: Record<string, string>;
}

/** Flattens an Fn::Join into text, tokens written as <Ref> / <LogicalId.Attr>. */
export function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(joined).join(sep);
  }
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(v);
}

function dimensionsOf(list: unknown): Record<string, string> {
  return Object.fromEntries(((list as Json[] | undefined) ?? []).map((d) => [d.Name, joined(d.Value)]));
}

export function metricsRead(template: { Resources: Record<string, Json> }): ReadMetric[] {
  const found: ReadMetric[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties as Json;
    if (resource.Type === 'AWS::CloudWatch::Alarm') {
      if (p.MetricName) {
        found.push({
          where: id,
          namespace: String(p.Namespace),
          name: String(p.MetricName),
          dimensions: dimensionsOf(p.Dimensions),
        });
      }
      for (const query of (p.Metrics as Json[] | undefined) ?? []) {
        const metric = (query.MetricStat as Json | undefined)?.Metric as Json | undefined;
        if (!metric) continue;
        found.push({
          where: id,
          namespace: String(metric.Namespace),
          name: String(metric.MetricName),
          dimensions: dimensionsOf(metric.Dimensions),
        });
      }
    }
    if (resource.Type === 'AWS::CloudWatch::Dashboard') {
      const body = JSON.parse(joined(p.DashboardBody)) as { widgets: { properties: Json }[] };
      for (const widget of body.widgets) {
        for (const row of (widget.properties.metrics as unknown[][] | undefined) ?? []) {
          const [namespace, name, ...rest] = row;
          if (typeof namespace !== 'string') continue; // a math expression, built on rows of its own
          if (namespace === '.' || name === '.') throw new Error(`shorthand metric row in ${id}`);
          const dimensions: Record<string, string> = {};
          for (let i = 0; i + 1 < rest.length && typeof rest[i] === 'string'; i += 2) {
            dimensions[rest[i] as string] = String(rest[i + 1]);
          }
          found.push({ where: id, namespace, name: String(name), dimensions });
        }
      }
    }
  }
  return found;
}

/** The dashboard's Logs Insights widgets, as their query text. */
export function logWidgetQueries(template: { Resources: Record<string, Json> }): string[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')
    .flatMap((r) => {
      const body = JSON.parse(joined((r.Properties as Json).DashboardBody)) as {
        widgets: { type: string; properties: Json }[];
      };
      return body.widgets.filter((w) => w.type === 'log').map((w) => String(w.properties.query));
    });
}

/** The metrics of this namespace that `read` names and `emitted` does not hold, as "Name {dims}". */
export function unemitted(read: readonly ReadMetric[], emitted: readonly EmittedMetric[]): string[] {
  const key = (m: { namespace: string; name: string; dimensions: Record<string, string> }) =>
    `${m.namespace}/${m.name} ${JSON.stringify(Object.entries(m.dimensions).sort())}`;
  const have = new Set(emitted.map(key));
  return [...new Set(read.filter((m) => m.namespace === METRICS.namespace && !have.has(key(m))).map(key))];
}
