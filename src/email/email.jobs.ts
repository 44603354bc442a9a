// Mail jobs: deliver one outbox message (retried with backoff), poll the IMAP mailbox for replies,
// and mark peering requests due for a follow-up.
import { z } from 'zod';
import { defineJob } from '../jobs/job.types.ts';

export const jobs = [
  defineJob({
    kind: 'email.send',
    description:
      'Delivers one outbox message over SMTP (at most once per message; transient failures retry with backoff, 5xx fails at once)',
    payload: z.object({ outbox_id: z.number().int().min(1) }).strict(),
    maxAttempts: 4,
    async run(ctx) {
      const { deliver } = await import('./email.service.ts');
      return deliver(ctx.db, ctx.payload.outbox_id, { jobId: ctx.jobId, log: ctx.log });
    },
  }),
  defineJob({
    kind: 'email.poll_replies',
    description:
      'Reads new messages from the IMAP mailbox (PEERDESK_IMAP_URL) and attaches replies to their messages and peering requests',
    payload: z.object({}).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { mailConfig, redactUrl } = await import('./email.config.ts');
      const cfg = mailConfig();
      if (!cfg.imapUrl) {
        await ctx.log('PEERDESK_IMAP_URL is not set: nothing to poll');
        return { polled: false };
      }
      const { pollReplies } = await import('./imap.ts');
      await ctx.log(`polling ${redactUrl(cfg.imapUrl)}`);
      const res = await pollReplies(ctx.db, cfg.imapUrl, ctx.log, { timeoutMs: cfg.timeoutMs });
      await ctx.log(`${res.seen} new messages, ${res.attached} replies attached`);
      return { polled: true, ...res };
    },
  }),
  defineJob({
    kind: 'email.reminders',
    description:
      'Marks peering requests without a reply after PEERDESK_MAIL_REMINDER_DAYS (and queues follow-ups when PEERDESK_MAIL_REMINDER_AUTOSEND is on)',
    payload: z.object({}).strict(),
    maxAttempts: 1,
    async run(ctx) {
      const { markReminders } = await import('./email.service.ts');
      const res = await markReminders(ctx.db, (m) => ctx.log(m));
      await ctx.log(`${res.due} requests due for a follow-up, ${res.sent} follow-ups queued`);
      return res;
    },
  }),
];
