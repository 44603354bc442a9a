// FRR configuration deltas for deploys. FRR has no candidate database and no commit-confirm, and
// `vtysh -f` only adds. So Peerdesk owns the BGP stanzas of bgpd's running configuration (`router bgp`,
// prefix lists, route maps, community / AS-path lists) and replaces exactly those: both texts are
// parsed into trees (indentation = nesting, as `show running-config` prints it), and the delta is the
// `no …` of every owned line that is not in the candidate followed by every candidate line that is not
// running, each under its context (`router bgp AS` → `address-family …`). Top-level lines Peerdesk does
// not own (hostname, log, …) are left alone on the router and ignored in the candidate.

/** One line of the configuration and the lines nested under it. */
export interface FrrNode {
  line: string;
  children: FrrNode[];
}

/** One command to run in config mode, under the context lines in `path` (outermost first). */
export interface FrrChange {
  path: string[];
  command: string;
}

// Lines `show running-config` prints that are not configuration (or close a context).
const IGNORED =
  /^(!.*|end|exit|exit-address-family|exit-vrf|exit-vnc|frr version .*|Building configuration\.\.\.|Current configuration:.*)$/;

// The first characters of the IGNORED lines ('!', 'e', 'f', 'B', 'C'): other lines skip the regex.
const IGNORED_FIRST = new Set([...'!efBC'].map((c) => c.charCodeAt(0)));
// Whitespace that is not a single space: only such lines need collapsing.
const NOT_CANONICAL_SPACE = /\s\s|[^\S ]/;

/** Top-level statements Peerdesk owns in bgpd's configuration (replace within, leave the rest alone). */
const OWNED =
  /^(router bgp\b|ip prefix-list\b|ipv6 prefix-list\b|route-map\b|bgp as-path access-list\b|bgp community-list\b|bgp large-community-list\b|bgp extcommunity-list\b)/;

/** Parses running-config text into a tree; blank, comment and context-closing lines are dropped. */
export function parseFrrConfig(text: string): FrrNode[] {
  const root: FrrNode[] = [];
  const stack: { indent: number; node: FrrNode }[] = [];
  for (const raw of text.split('\n')) {
    // trimEnd/trimStart strip exactly what \s matches (a trailing \r included); the regexes run only
    // on the lines that can need them (the speed of a 40k-line configuration's delta depends on it).
    const line = raw.trimEnd();
    const trimmed = line.trimStart();
    if (!trimmed || (IGNORED_FIRST.has(trimmed.charCodeAt(0)) && IGNORED.test(trimmed))) continue;
    const indent = line.length - trimmed.length;
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const node: FrrNode = {
      line: NOT_CANONICAL_SPACE.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed,
      children: [],
    };
    (stack.length ? stack[stack.length - 1]!.node.children : root).push(node);
    stack.push({ indent, node });
  }
  return root;
}

/** Only the statements Peerdesk owns, in order. */
export function ownedStanzas(nodes: FrrNode[]): FrrNode[] {
  return nodes.filter((n) => OWNED.test(n.line));
}

/** The owned part of a configuration as canonical text (what deploy diffs show). */
export function ownedText(text: string): string {
  const out: string[] = [];
  const walk = (nodes: FrrNode[], depth: number) => {
    for (const n of nodes) {
      out.push(`${' '.repeat(depth)}${n.line}`);
      walk(n.children, depth + 1);
    }
  };
  walk(ownedStanzas(parseFrrConfig(text)), 0);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The negation of a configuration line (`no X` ↔ `X`). */
export function negate(line: string): string {
  return line.startsWith('no ') ? line.slice(3) : `no ${line}`;
}

// `neighbor X remote-as …` (or `neighbor X interface remote-as …`): removing it removes the neighbour.
const NEIGHBOR_DEF = /^neighbor (\S+) (?:interface )?remote-as\b/;
const neighborOf = (line: string) => /^neighbor (\S+) /.exec(line)?.[1] ?? null;

/** The commands that turn the owned part of `from` into the owned part of `to`. */
export function frrDelta(fromText: string, toText: string): FrrChange[] {
  const from = ownedStanzas(parseFrrConfig(fromText));
  const to = ownedStanzas(parseFrrConfig(toText));
  const removals: FrrChange[] = [];
  const additions: FrrChange[] = [];
  const addAll = (nodes: FrrNode[], path: string[]) => {
    for (const n of nodes) {
      additions.push({ path, command: n.line });
      addAll(n.children, [...path, n.line]);
    }
  };
  // Only `neighbor …` lines can name a neighbour (the regexes run on those alone).
  const isNeighbor = (line: string) => line.startsWith('neighbor ');
  const walk = (a: FrrNode[], b: FrrNode[], path: string[], gone: ReadonlySet<string>) => {
    if (!a.length && !b.length) return;
    const inB = new Map(b.map((n) => [n.line, n]));
    const inA = new Map(a.map((n) => [n.line, n]));
    // Neighbours whose definition goes away (removed, or re-defined with another AS): FRR drops all
    // their lines with `no neighbor X remote-as`, so their other lines are neither removed nor kept.
    // (`gone` is copied only when this level drops more.)
    let dropped = gone;
    for (const n of a) {
      if (!isNeighbor(n.line) || inB.has(n.line)) continue;
      const m = NEIGHBOR_DEF.exec(n.line);
      if (!m) continue;
      if (dropped === gone) dropped = new Set(gone);
      (dropped as Set<string>).add(m[1]!);
    }
    const droppedLine = (line: string) =>
      dropped.size > 0 && isNeighbor(line) && dropped.has(neighborOf(line)!) && !NEIGHBOR_DEF.test(line);
    for (const n of a) {
      if (inB.has(n.line)) continue;
      if (droppedLine(n.line)) continue;
      removals.push({ path, command: negate(n.line) });
    }
    for (const n of b) {
      const old = inA.get(n.line);
      if (!old) {
        additions.push({ path, command: n.line });
        if (n.children.length) addAll(n.children, [...path, n.line]);
        continue;
      }
      // Kept line of a neighbour that is being re-defined: FRR forgets it with the old definition.
      if (!n.children.length && droppedLine(n.line)) {
        additions.push({ path, command: n.line });
        continue;
      }
      if (old.children.length || n.children.length) walk(old.children, n.children, [...path, n.line], dropped);
    }
  };
  walk(from, to, [], new Set());
  // Neighbour definitions are removed last, after their own lines (which then still exist).
  const isDef = (r: FrrChange) => r.command.startsWith('no neighbor ') && NEIGHBOR_DEF.test(r.command.slice(3));
  const defs: FrrChange[] = [];
  const rest: FrrChange[] = [];
  for (const r of removals) (isDef(r) ? defs : rest).push(r);
  return [...rest, ...defs, ...additions];
}

/** vtysh `-c` commands for a delta: config mode, each change under its context, grouped when the context repeats. */
export function vtyshCommands(changes: FrrChange[]): string[] {
  if (!changes.length) return [];
  const out = ['configure terminal'];
  let current: string[] = [];
  for (const c of changes) {
    const same = c.path.length === current.length && c.path.every((p, i) => p === current[i]);
    if (!same) {
      if (current.length) out.push('end', 'configure terminal');
      out.push(...c.path);
      current = c.path;
    }
    out.push(c.command);
  }
  out.push('end');
  return out;
}

/** The delta as readable text for the job log (indentation shows the context). */
export function deltaText(changes: FrrChange[]): string {
  return changes.map((c) => `${c.path.map((p) => `${p} → `).join('')}${c.command}`).join('\n');
}
