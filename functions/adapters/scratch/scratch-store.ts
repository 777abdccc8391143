/**
 * Engine `distributed`: what the workflow's steps hand each other outside the state (which holds
 * 256 KB at most): each shard's result, the unlisted accounts' result. JSON documents under one
 * sweep's folder, kept a day (the bucket's `scratch/` lifecycle), in S3 or, in tests, a folder.
 */
export interface ScratchStore {
  /** Writes a JSON document under the sweep's folder. */
  put(sweepId: string, name: string, value: unknown): Promise<void>;
  /** Every document of the sweep, by name. */
  all(sweepId: string): Promise<Map<string, unknown>>;
}

/** Document names: one per shard, one for the unlisted accounts. */
export const SCRATCH_NAMES = {
  shard: (index: number): string => `shard-${index}.json`,
  unlisted: 'unlisted.json',
} as const;
