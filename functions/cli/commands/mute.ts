import type { Mute } from '../../core/types.ts';
import { parseAuthId, parseBy, parseMuteUntil, parseReason } from '../../finance/changes.ts';
import { CHANGE_OPTIONS, changeAccount, muteValue, who } from '../account-changes.ts';
import { NOW_OPTION, resolveNow } from '../args.ts';
import { defineCommand } from '../command.ts';
import { withFinanceStore } from '../finance-reads.ts';
import { clockOf } from '../io.ts';

/** `mute`: holds back an account's notifications until a time; it is still swept and recorded. */
export const mute = defineCommand({
  name: 'mute',
  summary: "hold back an account's notifications until a time",
  usage: 'mute <auth_id> --until <time> --reason <text> [options]',
  description: `Holds back the account's notifications until the mute ends (it is still swept and recorded).
--now moves the start of a duration in --until; the audit keeps the real time.`,
  maxPositionals: 1,
  options: {
    until: {
      type: 'string',
      value: '<time>',
      help: 'an ISO time with a zone (2026-12-01T09:00:00+05:30) or a duration (90m, 12h, 3d, 2w)',
    },
    reason: { type: 'string', value: '<text>', help: 'why, for the audit and the list' },
    ...NOW_OPTION,
    ...CHANGE_OPTIONS,
  },
  async run({ values, positionals, io }) {
    const authId = parseAuthId(positionals[0], 'mute <auth_id> --until <time> --reason <text>');
    const now = resolveNow(values.now, clockOf(io));
    const mute: Mute = { until: parseMuteUntil(values.until, now), reason: parseReason(values.reason) };
    const by = parseBy(values.by, io.env.USER);
    return withFinanceStore(values, io, 'UTC', (context) =>
      changeAccount(context, io, {
        authId,
        action: 'mute',
        by,
        apply: (s) =>
          s.mute && s.mute.until === mute.until && s.mute.reason === mute.reason ? null : { ...s, mute },
        value: (s) => muteValue(s.mute),
        done: (_before, after) =>
          `${who(after)}: muted until ${mute.until}; notifications are held back until then`,
        unchanged: (s) => `${who(s)}: already muted until ${mute.until} for that reason; nothing changed`,
      }),
    );
  },
});
