// Line grammars of the configs the shipped templates render for platforms without a parser in the lab
// (Junos, EOS, IOS XR, SR OS), and checks that no session imports or exports everything. Each check
// returns the problems found (an empty list when the config is clean), naming the line.

type Problems = string[];
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const QUOTED = /"([^"\\]*)"/g;
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

function lines(text: string): [number, string][] {
  return text.split('\n').map((l, i) => [i + 1, l] as [number, string]);
}

/** Printable ASCII only, and quotes balanced on every line. */
function charset(text: string, out: Problems): void {
  for (const [n, l] of lines(text)) {
    if (/[^\x20-\x7e\t]/.test(l)) out.push(`line ${n}: non-ASCII or control character: ${JSON.stringify(l)}`);
    if ((l.match(/"/g) ?? []).length % 2) out.push(`line ${n}: unbalanced quote: ${l}`);
  }
}

/** Braces balanced, never closing below zero, and no empty block (`{ }`) unless allowed. */
function braces(text: string, out: Problems, allowEmpty: RegExp | null = null): void {
  let depth = 0;
  const stripped = text.replace(/\/\*.*?\*\//g, '').replace(QUOTED, '""');
  for (const [n, l] of lines(stripped)) {
    for (const ch of l) {
      if (ch === '{') depth++;
      if (ch === '}' && --depth < 0) out.push(`line ${n}: unbalanced }`);
    }
  }
  if (depth !== 0) out.push(`braces unbalanced at the end (depth ${depth})`);
  const re = /([^\n]*)\{\s*\}/g;
  for (const m of stripped.matchAll(re)) {
    if (allowEmpty && allowEmpty.test(m[0])) continue;
    out.push(`empty block: ${m[0].trim()}`);
  }
}

/** Junos curly-brace config. */
export function checkJunos(text: string): Problems {
  const out: Problems = [];
  charset(text, out);
  braces(text, out);
  const defined = new Set<string>();
  for (const m of text.matchAll(/policy-statement (\S+) \{/g)) defined.add(m[1]);
  for (const [n, raw] of lines(text)) {
    const l = raw.trim();
    if (!l || /^\/\*.*\*\/$/.test(l) || l === 'replace:' || l === '}') continue;
    if (/description\s*"\s*"/.test(l)) out.push(`line ${n}: empty description`);
    if (!/(\{|;)$/.test(l)) out.push(`line ${n}: a statement ends with ; or {: ${l}`);
    const named = l.match(/^(group|policy-statement|route-filter-list|community|term) (\S+)/);
    if (named && !NAME.test(named[2])) out.push(`line ${n}: bad ${named[1]} name ${named[2]}`);
    const nb = l.match(/^neighbor (\S+) \{$/);
    if (nb && !IP.test(nb[1])) out.push(`line ${n}: bad neighbor ${nb[1]}`);
    const pol = l.match(/^(import|export) (?:\[ (.*) \]|(\S+));$/);
    if (/^(import|export) /.test(l) && !pol) out.push(`line ${n}: bad policy chain: ${l}`);
    if (pol)
      for (const p of (pol[2] ?? pol[3]).split(' '))
        if (!defined.has(p)) out.push(`line ${n}: policy ${p} is not defined`);
    const q = [...l.replace(/description\s*"\s*"/, '').matchAll(QUOTED)].map((m) => m[1]);
    for (const s of q) if (!s.trim()) out.push(`line ${n}: empty string`);
  }
  return out;
}

/** Arista EOS. */
export function checkEos(text: string): Problems {
  const out: Problems = [];
  charset(text, out);
  const lists = new Set([...text.matchAll(/^ipv?6? ?prefix-list (\S+)$/gm)].map((m) => m[1]));
  const maps = new Set([...text.matchAll(/^route-map (\S+) (permit|deny) \d+$/gm)].map((m) => m[1]));
  for (const [n, raw] of lines(text)) {
    const l = raw.trim();
    if (!l || l === '!' || l === 'end' || l.startsWith('! ')) continue;
    if (/[{};"]/.test(l.replace(/ description .*/, ''))) out.push(`line ${n}: unexpected character: ${l}`);
    const d = l.match(/^(?:neighbor \S+ )?description(.*)$/);
    if (d && (!d[1].trim() || d[1].trim().length > 80 || /[!#{};]/.test(d[1])))
      out.push(`line ${n}: bad description: ${l}`);
    const pl = l.match(/^neighbor \S+ prefix-list (\S+) (in|out)$/);
    if (pl && !lists.has(pl[1])) out.push(`line ${n}: prefix-list ${pl[1]} is not defined`);
    const rm = l.match(/^neighbor \S+ route-map (\S+) (in|out)$/);
    if (rm && !maps.has(rm[1])) out.push(`line ${n}: route-map ${rm[1]} is not defined`);
    const named = l.match(/^(?:ip |ipv6 )?(prefix-list|route-map) (\S+)/) ?? l.match(/^neighbor (\S+) peer group$/);
    if (named && !NAME.test(named[named.length - 1])) out.push(`line ${n}: bad name ${named[named.length - 1]}`);
  }
  return out;
}

/** Cisco IOS XR. */
export function checkIosxr(text: string): Problems {
  const out: Problems = [];
  charset(text, out);
  const policies = new Set([...text.matchAll(/^route-policy (\S+)$/gm)].map((m) => m[1]));
  const sets = new Set([...text.matchAll(/^prefix-set (\S+)$/gm)].map((m) => m[1]));
  let open: string | null = null;
  let ifs = 0;
  for (const [n, raw] of lines(text)) {
    const l = raw.trim();
    if (/^(route-policy|prefix-set) /.test(raw)) {
      if (open) out.push(`line ${n}: ${l} inside ${open}`);
      open = l;
      if (l.split(' ').length !== 2 || !NAME.test(l.split(' ')[1])) out.push(`line ${n}: bad name ${l}`);
    } else if (l === 'end-policy' || l === 'end-set') {
      if (!open) out.push(`line ${n}: ${l} without a start`);
      if (ifs) out.push(`line ${n}: unclosed if`);
      open = null;
    } else if (/^if /.test(l)) {
      ifs++;
      const m = l.match(/destination in (\S+) then$/);
      if (!m || !sets.has(m[1])) out.push(`line ${n}: bad condition or undefined prefix-set: ${l}`);
    } else if (l === 'endif') ifs--;
    else if (/^apply (\S+)$/.test(l) && !policies.has(l.split(' ')[1]))
      out.push(`line ${n}: applies an undefined policy: ${l}`);
    const rp = l.match(/^route-policy (\S+) (in|out)$/);
    if (rp && !policies.has(rp[1])) out.push(`line ${n}: route-policy ${rp[1]} is not defined`);
    if (/^description/.test(l) && (!l.slice(11).trim() || /[!#{};"]/.test(l.slice(11))))
      out.push(`line ${n}: bad description: ${l}`);
    if (/[{};"]/.test(l) && !l.startsWith('#') && !/^description /.test(l))
      out.push(`line ${n}: unexpected character: ${l}`);
  }
  if (open) out.push(`${open} not closed`);
  return out;
}

/** Nokia SR OS MD-CLI. Presence containers (`exact { }`, `member "x" { }`) are the only empty blocks. */
export function checkSros(text: string): Problems {
  const out: Problems = [];
  charset(text, out);
  braces(text, out, /(exact|member "[^"]*") \{\s*\}$/);
  const defined = new Set([...text.matchAll(/policy-statement "([^"]+)" \{/g)].map((m) => m[1]));
  for (const [n, raw] of lines(text)) {
    const l = raw.trim();
    if (/description\s*"\s*"/.test(l) || /^description\s*$/.test(l)) out.push(`line ${n}: empty description`);
    const named = l.match(/^(group|policy-statement|prefix-list|community) "([^"]*)"/);
    if (named && !NAME.test(named[2])) out.push(`line ${n}: bad ${named[1]} name ${named[2]}`);
    const pol = l.match(/^policy \[(.*)\]$/);
    if (pol) {
      const names = [...pol[1].matchAll(QUOTED)].map((m) => m[1]);
      if (!names.length || names.length > 15) out.push(`line ${n}: 1 to 15 policies: ${l}`);
      for (const p of names) if (!defined.has(p)) out.push(`line ${n}: policy ${p} is not defined`);
    }
  }
  return out;
}

/** The import/export decision of each session block in a rendered config, per platform. */
export interface SessionPolicy {
  neighbor: string;
  import: string;
  export: string;
}

/** BIRD: per channel, `none` or the filter body (one line). */
export function birdChannels(text: string): SessionPolicy[] {
  const out: SessionPolicy[] = [];
  for (const proto of text.split(/\nprotocol bgp /).slice(1)) {
    const neighbor = proto.match(/neighbor (\S+) as/)?.[1] ?? '?';
    for (const ch of proto.matchAll(/\t(ipv4|ipv6) \{([\s\S]*?)\n\t\};/g)) {
      const body = ch[2];
      const part = (dir: string) => {
        const m = body.match(new RegExp(`${dir} none;`))
          ? 'none'
          : body
              .match(new RegExp(`${dir} filter \\{([\\s\\S]*?)\\n\\t\\t\\};`))?.[1]
              .replace(/\s+/g, ' ')
              .trim();
        return m ?? `(no ${dir})`;
      };
      out.push({ neighbor, import: part('import'), export: part('export') });
    }
  }
  return out;
}

/** FRR / EOS: per activated neighbor, its in/out prefix-list and route-map lines. */
export function ciscoStylePolicies(text: string): SessionPolicy[] {
  const out = new Map<string, SessionPolicy>();
  for (const m of text.matchAll(/^ +neighbor (\S+) activate$/gm))
    out.set(m[1], { neighbor: m[1], import: '', export: '' });
  for (const m of text.matchAll(/^ +neighbor (\S+) (prefix-list|route-map) (\S+) (in|out)$/gm)) {
    const s = out.get(m[1]);
    if (!s) continue;
    if (m[4] === 'in') s.import += `${m[2]} ${m[3]} `;
    else s.export += `${m[2]} ${m[3]} `;
  }
  return [...out.values()].map((s) => ({ ...s, import: s.import.trim(), export: s.export.trim() }));
}

/** Junos: each neighbor's import/export chain. */
export function junosPolicies(text: string): SessionPolicy[] {
  return [...text.matchAll(/\n {12}neighbor (\S+) \{([\s\S]*?)\n {12}\}/g)].map((m) => ({
    neighbor: m[1],
    import: m[2].match(/\n\s+import (.*);/)?.[1] ?? '',
    export: m[2].match(/\n\s+export (.*);/)?.[1] ?? '',
  }));
}

/** True when a policy decision lets every route through (no prefix list, no policy, no deny). */
export function acceptsAll(platform: 'bird' | 'frr' | 'eos' | 'junos', decision: string): boolean {
  switch (platform) {
    case 'bird':
      // A filter that accepts without a prefix-set test, a policy call or a reject.
      return decision !== 'none' && !/net ~|RM_\w+\(\)|reject/.test(decision);
    case 'frr':
    case 'eos':
      return decision === '';
    case 'junos':
      return decision === '' || decision === '[ PEERDESK-ACCEPT ]' || decision === 'PEERDESK-ACCEPT';
  }
}
