/**
 * The simulator's flags, each with its one help line: read by its own parser (main.ts) and
 * shown by `vobiz-balance sim --help`. Plain data, so the command line can list them
 * without loading the server.
 */
export const SIM_OPTIONS = {
  accounts: { type: 'string', value: '<n>', help: 'seeded customer accounts (default 50)' },
  port: { type: 'string', value: '<port>', help: 'port on 127.0.0.1 (default 0: a free one)' },
  'latency-ms': { type: 'string', value: '<ms>', help: 'added before every API answer (default 0)' },
  seed: {
    type: 'string',
    value: '<n>',
    help: 'same seed, same accounts, names, balances and tokens (default 1)',
  },
  faults: {
    type: 'string',
    value: '<list>',
    help: 'kind[:route[:probability]],... e.g. rate-limit:balance:0.05 (sim/README.md)',
  },
  'partner-id': { type: 'string', value: '<id>', help: "the partner's X-Auth-ID (default PA_SIM00001)" },
  'partner-token': {
    type: 'string',
    value: '<token>',
    help: "the partner's X-Auth-Token (default sim-partner-token)",
  },
  'per-page-limit': {
    type: 'string',
    value: 'clamp|reject',
    help: 'per_page above 100: clamp to 100 (default), or answer 422',
  },
  'rate-limit': {
    type: 'string',
    value: '<rps>',
    help: 'answer 429 with Retry-After above this many API requests per second (default none)',
  },
} as const;
