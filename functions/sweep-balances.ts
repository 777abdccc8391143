// PLACEHOLDER until the handler lands (being written now); the CDK stack needs an entry to bundle.
import type { ScheduledInput } from './contract.ts';

export async function handler(_event: ScheduledInput): Promise<never> {
  throw new Error('sweep handler not implemented yet');
}
