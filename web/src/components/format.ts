// Formatting helpers: times, ASNs, prefix counts, CSV. (Input checks are in lib/validate.ts.)

/** Local date-time text of an ISO timestamp. */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Compact "3d 4h ago" text of an ISO timestamp. */
export function ago(iso: string | null | undefined): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** "AS64500". */
export function asText(asn: number | null | undefined): string {
  return asn === null || asn === undefined ? '—' : `AS${asn}`;
}

/** One CSV field, quoted when needed (RFC 4180). */
function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // A leading = + - @ would be run as a formula by spreadsheets.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Builds CSV text from a header row and data rows. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Offers text as a file download. */
export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * An IRR failure as a sentence a peering coordinator can act on, instead of the resolver's or
 * socket's own words (ENOTFOUND, ECONNREFUSED…). Unknown messages pass through without the prefix.
 */
export function irrErrorText(message: string): string {
  const raw = message.replace(/^IRR query failed:\s*/, '');
  const host = /IRR (?:server|pool for) ([^\s:]+(?::\d+)?)/.exec(raw)?.[1] ?? 'the IRR server';
  const server = host === 'the IRR server' ? host : `The IRR server ${host}`;
  const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|getaddrinfo/.test(raw))
    return `${cap(server)} could not be found (its name does not resolve). Check PEERDESK_IRR_HOST and this machine's DNS, then try again.`;
  if (/ECONNREFUSED/.test(raw))
    return `${cap(server)} refused the connection (nothing listens on that port). Check PEERDESK_IRR_HOST.`;
  if (/EHOSTUNREACH|ENETUNREACH/.test(raw))
    return `${cap(server)} cannot be reached from this machine (no route). Check the network or PEERDESK_IRR_HOST.`;
  if (/timed out|stalled|ETIMEDOUT/.test(raw))
    return `${cap(server)} did not answer in time. Try again later, or raise PEERDESK_IRR_TIMEOUT_MS.`;
  if (/ECONNRESET|connection closed|closed by/.test(raw))
    return `${cap(server)} closed the connection before answering. Try again later.`;
  if (/refused sources/.test(raw))
    return `${cap(server)} does not serve the requested IRR sources (${raw.split('refused sources ')[1] ?? ''}). Check PEERDESK_IRR_SOURCES or the peer's IRR sources.`;
  return raw;
}
