// `peerdesk irr …`: expand an AS-SET/ASN into a router prefix list, or validate an AS-SET.
import type { Command } from 'commander';

interface ExpandFlags {
  ipv4?: boolean;
  ipv6?: boolean;
  aggregate?: boolean;
  maxLength?: string;
  minLength?: string;
  format: string;
  name: string;
  irr?: string;
  sources?: string;
  timeout?: string;
}

interface ValidateFlags {
  json?: boolean;
  irr?: string;
  sources?: string;
  timeout?: string;
}

function fail(message: string): void {
  process.stderr.write(`peerdesk irr: ${message.split('\n')[0]}\n`);
  process.exitCode = 1;
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Builds a pool from the environment, with --irr/--sources/--timeout taking precedence. */
async function openPool(flags: { irr?: string; sources?: string; timeout?: string }) {
  const { loadIrrConfig, createIrrPool } = await import('../irr/irr.config.ts');
  const env = { ...process.env };
  if (flags.irr) env.PEERDESK_IRR_HOST = flags.irr;
  if (flags.sources) env.PEERDESK_IRR_SOURCES = flags.sources;
  if (flags.timeout) env.PEERDESK_IRR_TIMEOUT_MS = flags.timeout;
  const config = loadIrrConfig(env);
  return { config, pool: createIrrPool(config) };
}

/** Registers `irr expand` and `irr validate` on the program. */
export function register(program: Command): void {
  const irr = program.command('irr').description('IRR: expand AS-SETs and ASNs into prefix lists, validate AS-SETs');

  irr
    .command('expand')
    .description('print the prefix list of an AS-SET or ASN (same prefixes as bgpq4 with the equivalent options)')
    .argument('<target>', 'AS-SET (AS-FOO, AS123:AS-FOO, RIPE::AS-FOO) or ASN (AS123)')
    .option('-4, --ipv4', 'IPv4 prefixes (default, like bgpq4 -4)')
    .option('-6, --ipv6', 'IPv6 prefixes (bgpq4 -6)')
    .option('-A, --aggregate', 'aggregate into ranges (bgpq4 -A)')
    .option('--max-length <n>', 'also accept more-specifics up to this length (bgpq4 -R)')
    .option('--min-length <n>', 'accept more-specifics from this length on (bgpq4 -r)')
    .option('--format <format>', 'json, plain, junos, eos, ios, iosxr, bird or openbgpd', 'plain')
    .option('--name <name>', 'name of the generated list (bgpq4 -l)', 'NN')
    .option('--irr <host:port>', 'IRR server (default: PEERDESK_IRR_HOST or rr.ntt.net:43)')
    .option('--sources <list>', 'comma-separated IRR sources (default: PEERDESK_IRR_SOURCES or the server default)')
    .option('--timeout <ms>', 'give up on a silent server after this many milliseconds')
    .action(async (target: string, flags: ExpandFlags) => {
      let pool: { close(): void } | undefined;
      try {
        if (flags.ipv4 && flags.ipv6) throw new Error('choose one family: -4 or -6');
        const family = flags.ipv6 ? 6 : 4;
        const { isIrrFormat, formatListBytes } = await import('../irr/formats.ts');
        if (!isIrrFormat(flags.format))
          throw new Error(`unknown format "${flags.format}" (json, plain, junos, eos, ios, iosxr, bird, openbgpd)`);
        const maxLength = intOption('--max-length', flags.maxLength);
        const minLength = intOption('--min-length', flags.minLength);
        if (flags.format === 'junos' && (flags.aggregate || maxLength || minLength)) {
          throw new Error(
            'Junos prefix-lists cannot hold ranges: drop --aggregate/--max-length/--min-length for --format junos',
          );
        }
        const { expandPrefixLists } = await import('../irr/expand.ts');
        const opened = await openPool(flags);
        pool = opened.pool;
        // Warnings go to a terminal only; without one, the set's members (only used for warnings) are not fetched.
        const prefixesOnly = !process.stderr.isTTY;
        const result = await expandPrefixLists(
          target,
          { families: [family], aggregate: flags.aggregate, maxLength, minLength, prefixesOnly },
          opened.pool,
        );
        const { writeStdout } = await import('./output.ts');
        writeStdout(
          formatListBytes(family === 4 ? result.lists.ipv4 : result.lists.ipv6, family, flags.format, flags.name),
        );
        for (const w of result.report.warnings) if (process.stderr.isTTY) process.stderr.write(`warning: ${w}\n`);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      } finally {
        pool?.close();
      }
    });

  irr
    .command('validate')
    .description('check an AS-SET: existence, members, depth, loops, missing members, prefix counts per family')
    .argument('<target>', 'AS-SET or ASN')
    .option('--json', 'machine-readable report')
    .option('--irr <host:port>', 'IRR server (default: PEERDESK_IRR_HOST or rr.ntt.net:43)')
    .option('--sources <list>', 'comma-separated IRR sources')
    .option('--timeout <ms>', 'give up on a silent server after this many milliseconds')
    .action(async (target: string, flags: ValidateFlags) => {
      let pool: { close(): void } | undefined;
      try {
        const { validateAsSet } = await import('../irr/expand.ts');
        const opened = await openPool(flags);
        pool = opened.pool;
        const report = await validateAsSet(target, {}, opened.pool);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          const lines = [
            `${report.target} (${report.kind}${report.source ? `, source ${report.source}` : ''}): ${report.exists ? 'exists' : 'NOT FOUND'}`,
            `  members:      ${report.members.length ? report.members.join(' ') : '-'}`,
            `  nested sets:  ${report.nestedSets.length}`,
            `  depth:        ${report.depth}`,
            `  origins:      ${report.origins.length}`,
            `  prefixes:     ${report.prefixCount.ipv4} IPv4, ${report.prefixCount.ipv6} IPv6`,
            `  loops:        ${report.loops.length ? report.loops.map((l) => l.join(' -> ')).join('; ') : 'none'}`,
            `  missing:      ${report.missing.length ? report.missing.join(' ') : 'none'}`,
          ];
          if (report.empty.length) lines.push(`  empty sets:   ${report.empty.join(' ')}`);
          if (report.ignoredAsns.length)
            lines.push(`  ignored ASNs: ${report.ignoredAsns.map((a) => `AS${a}`).join(' ')}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!report.exists) process.exitCode = 2;
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      } finally {
        pool?.close();
      }
    });
}
