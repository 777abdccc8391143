import { muteIsActive, parseAuthId, parseBy } from '../../finance/changes.ts';
import { CHANGE_OPTIONS, changeAccount, muteValue, who } from '../account-changes.ts';
import { NOW_OPTION, resolveNow } from '../args.ts';
import { defineCommand } from '../command.ts';
import { withFinanceStore } from '../finance-reads.ts';
import { clockOf } from '../io.ts';

/** `unmute`: ends a mute now; held-back notifications go out with the next sweep. */
export const unmute = defineCommand({
  name: 'unmute',
  summary: 'end a mute now',
  usage: 'unmute <auth_id> [options]',
  description: "Ends the account's mute now; held-back notifications go out with the next sweep.",
  maxPositionals: 1,
  options: { ...NOW_OPTION, ...CHANGE_OPTIONS },
  async run({ values, positionals, io }) {
    const authId = parseAuthId(positionals[0], 'unmute <auth_id>');
    const now = resolveNow(values.now, clockOf(io));
    const by = parseBy(values.by, io.env.USER);
    return withFinanceStore(values, io, 'UTC', (context) =>
      changeAccount(context, io, {
        authId,
        action: 'unmute',
        by,
        apply: (s) => (s.mute ? { ...s, mute: null } : null),
        value: (s) => muteValue(s.mute),
        done: (before) =>
          `${who(before)}: unmuted${before.mute && !muteIsActive(before.mute, now) ? ' (the mute had already ended)' : ''}; held-back notifications go out with the next sweep`,
        unchanged: (s) => `${who(s)}: is not muted; nothing changed`,
      }),
    );
  },
});
