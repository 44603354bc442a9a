// Prefix lists: manual or built from the IRR, with their versions.
import type { Schemas } from '../api/client';
import { PrefixListVersions } from './panels';
import { PrefixListSource } from '../api/enums';
import { FAMILY, refCell, refCsv, text, mono, nameLink, col, idCol, descCol, descField, options } from './common';
import { defineConfig } from './types';

const SOURCES = options(PrefixListSource, { irr: 'IRR' });
/** One entry of a prefix list, as presented and as sent. */
type Entry = NonNullable<Schemas['PrefixList']['entries']>[number];

export const prefixLists = defineConfig<Schemas['PrefixList']>({
  path: 'prefix-lists',
  title: 'Prefix lists',
  singular: 'Prefix list',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('prefix-lists'), { sort: 'name' }),
    col('family', 'Family', (r) => `IPv${r.family}`, { sort: 'family' }),
    col('source', 'Source', text('source')),
    col(
      'peer_asn',
      'Peer ASN',
      refCell('peer_asn', (v) => `AS${v.asn} ${v.name}`),
      { csv: refCsv('peer_asn', (v) => `AS${v.asn}`) },
    ),
    col('irr_query', 'IRR query', mono('irr_query')),
    col('entry_count', 'Entries', (r) => r.entry_count, { align: 'right' }),
    descCol,
  ],
  filters: [
    { name: 'family', label: 'Family', kind: 'select', options: FAMILY, width: 100 },
    { name: 'source', label: 'Source', kind: 'select', options: SOURCES, width: 110 },
    { name: 'peer_asn', label: 'Peer ASN', kind: 'ref', ref: 'peer-asns', refLabel: (a) => `AS${a.asn} ${a.name}` },
  ],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'family', label: 'Family', kind: 'select', required: true, options: FAMILY },
    { name: 'source', label: 'Source', kind: 'select', options: SOURCES },
    {
      name: 'peer_asn',
      label: 'Peer ASN',
      kind: 'ref',
      ref: 'peer-asns',
      emptyAs: 'null',
      refLabel: (a) => `AS${a.asn} ${a.name}`,
    },
    { name: 'irr_query', label: 'IRR query', kind: 'asset', emptyAs: 'null' },
    {
      name: 'entries',
      label: 'Entries (one per line: [permit|deny] PREFIX [ge N] [le N])',
      kind: 'json',
      span: 2,
      get: (r) => entriesToText(r.entries ?? []),
    },
    descField,
  ],
  panels: (r) => <PrefixListVersions row={r} />,
  show: {
    // Long IRR lists scroll inside their box so the versions panel below stays in reach.
    entries: (r) => (
      <div className="table-wrap" style={{ maxHeight: 280 }}>
        <table className="dt mini">
          <thead>
            <tr>
              <th>Seq</th>
              <th>Action</th>
              <th>Prefix</th>
              <th>ge</th>
              <th>le</th>
            </tr>
          </thead>
          <tbody>
            {(r.entries ?? []).slice(0, 2000).map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{e.action}</td>
                <td className="mono">{e.prefix}</td>
                <td>{e.ge ?? ''}</td>
                <td>{e.le ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ),
  },
});

/** Prefix-list entries as editable text lines. */
export function entriesToText(entries: Entry[]): string {
  return entries
    .map((e) =>
      [e.action, e.prefix, e.ge != null ? `ge ${e.ge}` : '', e.le != null ? `le ${e.le}` : '']
        .filter(Boolean)
        .join(' '),
    )
    .join('\n');
}
/** Parses entry lines back; throws with the line number on a bad line. */
export function textToEntries(text: string): Entry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const m = /^(?:(permit|deny)\s+)?(\S+)(?:\s+ge\s+(\d+))?(?:\s+le\s+(\d+))?$/i.exec(line);
      if (!m) throw new Error(`line ${i + 1}: expected "[permit|deny] PREFIX [ge N] [le N]"`);
      return {
        seq: (i + 1) * 5,
        action: m[1]?.toLowerCase() === 'deny' ? ('deny' as const) : ('permit' as const),
        prefix: m[2],
        ge: m[3] ? Number(m[3]) : null,
        le: m[4] ? Number(m[4]) : null,
      };
    });
}
