// The search API's output schemas.
import { z } from 'zod';

export const hit = z.object({
  type: z.enum(['peer-asn', 'peering-session', 'router', 'fabric', 'bgp-peer']),
  id: z.number().int(),
  title: z.string(),
  subtitle: z.string().nullable(),
});
export type SearchHit = z.infer<typeof hit>;

export const stateSummaryOut = z.object({
  router: z.number().int(),
  total: z.number().int(),
  by_state: z.record(z.string(), z.number().int()),
  last_polled_at: z.string().nullable(),
});
export type StateSummary = z.infer<typeof stateSummaryOut>;
