import { SIM_OPTIONS } from '../../../sim/options.ts';
import { defineCommand } from '../command.ts';

/** `sim`: the local Vobiz Partner API simulator, which parses and checks its own flags. */
export const sim = defineCommand({
  name: 'sim',
  summary: 'run the local Vobiz Partner API simulator',
  usage: 'sim [options]',
  description:
    'Serves a seeded Vobiz Partner API on 127.0.0.1 until Ctrl-C, after one line with its URL and credentials.',
  options: SIM_OPTIONS,
  async run({ argv, io }) {
    // Loaded only when asked for: the other commands need none of the server.
    const { simCommand } = await import('../../../sim/main.ts');
    return simCommand([...argv], { io });
  },
});
