// A NETCONF-over-SSH router for tests: ssh2's server on 127.0.0.1 (port 0) with a host key generated at
// start, password and public-key auth, the `netconf` subsystem with base:1.0 and base:1.1 framing, and
// two personalities: Junos (get-bgp-neighbor-information, get-configuration text/XML/compare,
// load-configuration set/merge/override/rollback, commit-configuration confirmed, get-commit-information)
// and IOS-XR (Cisco-IOS-XR-ipv4-bgp-oper <get>, edit-config of Cisco-IOS-XR-ipv4-bgp-cfg on the candidate,
// commit confirmed / cancel-commit / discard-changes). It keeps running and candidate configs, records
// every RPC in order, and can answer an <rpc-error> or stall on demand. Confirmed commits revert by
// themselves when not confirmed in time (Junos minutes and XR seconds are scaled for tests).
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import { timingSafeEqual } from 'node:crypto';
import { diffLines } from 'diff';
import {
  asArray,
  decodeChunks,
  encodeChunk,
  NETCONF_BASE_10,
  NETCONF_BASE_11,
  parseXml,
  sshFingerprint,
  textOf,
  xmlEscape,
  type XmlNode,
} from '../../src/drivers/transports/netconf.ts';

const { Server, utils } = ssh2;
const EOM = ']]>]]>';
const NS = 'urn:ietf:params:xml:ns:netconf:base:1.0';

/** One BGP neighbour the simulated router has (its operational state is fixed; admin state follows the config). */
export interface SimNeighbor {
  vrf: string | null;
  peer_ip: string;
  remote_asn: number;
  local_ip?: string;
  description?: string;
  /** Junos group name (default "PEERS"). */
  group?: string;
  /** Established | Idle | Active | Connect | OpenSent | OpenConfirm */
  state: string;
  /** Seconds in the current state. */
  elapsed_s?: number;
  families?: { afi_safi: 'ipv4-unicast' | 'ipv6-unicast'; received: number; accepted: number; advertised: number }[];
  /** Junos last-error text ("Hold Timer Expired Error"). */
  last_error?: string;
  /** IOS-XR: last NOTIFICATION received (code, subcode), e.g. [4, 0] hold timer expired. */
  notification?: [number, number];
  max_prefix_shutdown?: boolean;
  flap_count?: number;
}

/** A fault for the next matching RPCs: an <rpc-error> answer, or no answer at all. */
export interface NetconfFault {
  /** RPC element name to match (e.g. "commit-configuration"); any RPC when unset. */
  rpc?: string;
  mode: 'error' | 'stall';
  tag?: string;
  message?: string;
  path?: string;
  /** How many times (default: until cleared). */
  times?: number;
}

export interface NetconfServerOptions {
  flavor: 'junos' | 'iosxr';
  neighbors: SimNeighbor[];
  localAsn?: number;
  username?: string;
  password?: string;
  /** Offer base:1.1 (chunked framing); default: IOS-XR yes, Junos no. */
  base11?: boolean;
  /** Milliseconds that one Junos confirm-timeout minute lasts (default 60 000). */
  minuteMs?: number;
  /** Milliseconds that one IOS-XR confirm-timeout second lasts (default 1000). */
  secondMs?: number;
}

interface ConfigState {
  /** `${vrf ?? ''}|${ip}` of deactivated (Junos) / shut (IOS-XR) neighbours. */
  disabled: Set<string>;
  /** Configuration loaded by deploys (Junos text or IOS-XR XML), rendered after the BGP stanza. */
  extra: string;
}

export interface NetconfTestServer {
  host: string;
  port: number;
  /** `netconf://127.0.0.1:PORT` */
  hostname: string;
  username: string;
  password: string;
  /** SHA256 fingerprint of the server's host key, as ssh-keygen prints it. */
  hostKeyFingerprint: string;
  /** An OpenSSH private key the server accepts for `username`. */
  clientPrivateKey: string;
  /** RPC element names in the order received (hello excluded). */
  rpcs: string[];
  /** Full RPC XML in order. */
  rpcXml: string[];
  neighbors: SimNeighbor[];
  setFault(fault: NetconfFault | null): void;
  /** The committed configuration as the router would show it (Junos text, IOS-XR XML). */
  runningText(): string;
  candidateText(): string;
  isDisabled(vrf: string | null, ip: string): boolean;
  pendingConfirm(): boolean;
  /** Live SSH connections (one per job is the contract). */
  connections: number;
  close(): Promise<void>;
}

const key = (vrf: string | null, ip: string) => `${vrf ?? ''}|${ip}`;
const clone = (c: ConfigState): ConfigState => ({ disabled: new Set(c.disabled), extra: c.extra });

function rpcError(f: { tag?: string; message?: string; path?: string; type?: string }): string {
  return `<rpc-error><error-type>${f.type ?? 'application'}</error-type><error-tag>${xmlEscape(f.tag ?? 'operation-failed')}</error-tag><error-severity>error</error-severity>${f.path ? `<error-path>${xmlEscape(f.path)}</error-path>` : ''}<error-message>${xmlEscape(f.message ?? 'error')}</error-message></rpc-error>`;
}

class RpcFailure extends Error {
  readonly xml: string;
  constructor(xml: string) {
    super('rpc-error');
    this.xml = xml;
  }
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startNetconfServer(options: NetconfServerOptions): Promise<NetconfTestServer> {
  const username = options.username ?? 'peerdesk';
  const password = options.password ?? 'lab-password';
  // ssh2's generator writes a malformed OpenSSH private key about once in 200 (ssh-keygen rejects those
  // too): draw again until the key parses, a bounded number of times.
  const keyPair = () => {
    for (let i = 0; i < 20; i++) {
      const pair = utils.generateKeyPairSync('ed25519');
      const priv = utils.parseKey(pair.private);
      const pub = utils.parseKey(pair.public);
      if (!(priv instanceof Error) && !(pub instanceof Error)) return { pair, priv, pub };
    }
    throw new Error('key generation failed 20 times');
  };
  const host = keyPair();
  const client = keyPair();
  const hostKey = host.pair;
  const clientKey = client.pair;
  const hostParsed = host.priv;
  const clientPub = client.pub;
  const fingerprint = sshFingerprint(hostParsed.getPublicSSH());
  const base11 = options.base11 ?? options.flavor === 'iosxr';
  const minuteMs = options.minuteMs ?? 60_000;
  const secondMs = options.secondMs ?? 1000;
  const localAsn = options.localAsn ?? 64500;
  const neighbors = options.neighbors;

  let running: ConfigState = { disabled: new Set(), extra: '' };
  let candidate = clone(running);
  const history: { config: ConfigState; comment: string; at: Date }[] = [];
  let lockHolder: number | null = null;
  let confirm: { timer: NodeJS.Timeout; previous: ConfigState; session: number } | null = null;
  let fault: NetconfFault | null = null;
  const rpcs: string[] = [];
  const rpcXml: string[] = [];
  let sessionSeq = 100;
  let connections = 0;
  const clients = new Set<ssh2.Connection>();

  const commit = (comment: string) => {
    history.unshift({ config: clone(running), comment, at: new Date() });
    running = clone(candidate);
  };
  const revert = (why: string) => {
    if (!confirm) return;
    clearTimeout(confirm.timer);
    running = confirm.previous;
    candidate = clone(running);
    history.unshift({ config: clone(running), comment: why, at: new Date() });
    confirm = null;
  };

  // ---- Junos rendering ----
  const groupOf = (n: SimNeighbor) => n.group ?? 'PEERS';
  const junosText = (c: ConfigState): string => {
    const lines: string[] = [];
    const stanza = (list: SimNeighbor[], indent: string) => {
      const groups = [...new Set(list.map(groupOf))];
      lines.push(`${indent}bgp {`);
      for (const g of groups) {
        lines.push(`${indent}    group ${g} {`, `${indent}        type external;`);
        for (const n of list.filter((x) => groupOf(x) === g)) {
          lines.push(
            `${indent}        ${c.disabled.has(key(n.vrf, n.peer_ip)) ? 'inactive: ' : ''}neighbor ${n.peer_ip} {`,
          );
          if (n.description) lines.push(`${indent}            description "${n.description}";`);
          lines.push(`${indent}            peer-as ${n.remote_asn};`, `${indent}        }`);
        }
        lines.push(`${indent}    }`);
      }
      lines.push(`${indent}}`);
    };
    lines.push('protocols {');
    stanza(
      neighbors.filter((n) => !n.vrf),
      '    ',
    );
    lines.push('}');
    const vrfs = [...new Set(neighbors.filter((n) => n.vrf).map((n) => n.vrf as string))];
    if (vrfs.length) {
      lines.push('routing-instances {');
      for (const v of vrfs) {
        lines.push(`    ${v} {`, '        instance-type vrf;', '        protocols {');
        stanza(
          neighbors.filter((n) => n.vrf === v),
          '            ',
        );
        lines.push('        }', '    }');
      }
      lines.push('}');
    }
    if (c.extra) lines.push(c.extra.replace(/\s+$/, ''));
    return `${lines.join('\n')}\n`;
  };
  const junosBgpXml = (c: ConfigState): string => {
    const groupsXml = (list: SimNeighbor[]) =>
      [...new Set(list.map(groupOf))]
        .map(
          (g) =>
            `<group><name>${xmlEscape(g)}</name><type>external</type>${list
              .filter((x) => groupOf(x) === g)
              .map(
                (n) =>
                  `<neighbor${c.disabled.has(key(n.vrf, n.peer_ip)) ? ' inactive="inactive"' : ''}><name>${n.peer_ip}</name>${n.description ? `<description>${xmlEscape(n.description)}</description>` : ''}<peer-as>${n.remote_asn}</peer-as></neighbor>`,
              )
              .join('')}</group>`,
        )
        .join('');
    const vrfs = [...new Set(neighbors.filter((n) => n.vrf).map((n) => n.vrf as string))];
    return `<configuration><protocols><bgp>${groupsXml(neighbors.filter((n) => !n.vrf))}</bgp></protocols>${
      vrfs.length
        ? `<routing-instances>${vrfs.map((v) => `<instance><name>${xmlEscape(v)}</name><protocols><bgp>${groupsXml(neighbors.filter((n) => n.vrf === v))}</bgp></protocols></instance>`).join('')}</routing-instances>`
        : ''
    }</configuration>`;
  };
  const junosRib = (n: SimNeighbor, f: NonNullable<SimNeighbor['families']>[number]) => {
    const table = `${n.vrf ? `${n.vrf}.` : ''}${f.afi_safi === 'ipv6-unicast' ? 'inet6.0' : 'inet.0'}`;
    return `<bgp-rib junos:style="detail"><name>${table}</name><send-state>in sync</send-state><active-prefix-count>${f.accepted}</active-prefix-count><received-prefix-count>${f.received}</received-prefix-count><accepted-prefix-count>${f.accepted}</accepted-prefix-count><suppressed-prefix-count>0</suppressed-prefix-count><advertised-prefix-count>${f.advertised}</advertised-prefix-count></bgp-rib>`;
  };
  const junosNeighborsXml = (): string => {
    const peers = neighbors
      .filter((n) => !running.disabled.has(key(n.vrf, n.peer_ip)))
      .map((n) => {
        const port = n.state === 'Established' ? '+179' : '';
        return `<bgp-peer junos:style="detail"><peer-address>${n.peer_ip}${port}</peer-address><peer-as>${n.remote_asn}</peer-as>${n.local_ip ? `<local-address>${n.local_ip}${port ? '+50123' : ''}</local-address>` : ''}<local-as>${localAsn}</local-as>${n.description ? `<description>${xmlEscape(n.description)}</description>` : ''}<peer-group>${xmlEscape(groupOf(n))}</peer-group><peer-cfg-rti>${xmlEscape(n.vrf ?? 'master')}</peer-cfg-rti><peer-fwd-rti>${xmlEscape(n.vrf ?? 'master')}</peer-fwd-rti><peer-type>External</peer-type><peer-state>${n.state}</peer-state><last-state>${n.state === 'Established' ? 'OpenConfirm' : 'Idle'}</last-state><last-error>${xmlEscape(n.last_error ?? 'None')}</last-error><flap-count>${n.flap_count ?? 0}</flap-count>${n.elapsed_s !== undefined ? `<elapsed-time junos:seconds="${n.elapsed_s}">${n.elapsed_s}</elapsed-time>` : ''}${n.state === 'Established' ? (n.families ?? []).map((f) => junosRib(n, f)).join('') : ''}</bgp-peer>`;
      })
      .join('');
    return `<bgp-information xmlns="http://xml.juniper.net/junos/21.4R3/junos-routing">${peers}</bgp-information>`;
  };
  /** `[routing-instances V ]protocols bgp group G neighbor X` → the neighbour's key. */
  const junosSetPath = (path: string): string | null => {
    const m =
      /^(?:routing-instances\s+"?([^"\s]+)"?\s+)?protocols\s+bgp\s+group\s+"?([^"\s]+)"?\s+neighbor\s+(\S+)$/.exec(
        path.trim(),
      );
    if (!m) return null;
    const n = neighbors.find((x) => x.peer_ip === m[3] && (x.vrf ?? null) === (m[1] ?? null) && groupOf(x) === m[2]);
    return n ? key(n.vrf, n.peer_ip) : null;
  };

  // ---- IOS-XR rendering ----
  const XR_STATE: Record<string, string> = {
    Established: 'bgp-st-estab',
    Idle: 'bgp-st-idle',
    Active: 'bgp-st-active',
    Connect: 'bgp-st-connect',
    OpenSent: 'bgp-st-opensent',
    OpenConfirm: 'bgp-st-openconfirm',
  };
  const xrNeighborXml = (n: SimNeighbor): string => {
    const shut = running.disabled.has(key(n.vrf, n.peer_ip));
    const state = shut ? 'bgp-st-idle' : (XR_STATE[n.state] ?? 'bgp-st-idle');
    const afi = n.peer_ip.includes(':') ? 'ipv6' : 'ipv4';
    const [code, sub] = n.notification ?? [0, 0];
    const af = shut || n.state !== 'Established' ? [] : (n.families ?? []);
    return `<neighbor><neighbor-address>${n.peer_ip}</neighbor-address><speaker-id>0</speaker-id>${n.description ? `<description>${xmlEscape(n.description)}</description>` : ''}<local-as>${localAsn}</local-as><remote-as>${n.remote_asn}</remote-as><connection-established-time>${n.state === 'Established' && !shut ? (n.elapsed_s ?? 0) : 0}</connection-established-time><connection-state>${state}</connection-state><connection-admin-status>${shut ? 1 : 0}</connection-admin-status>${n.local_ip ? `<connection-local-address><afi>${afi}</afi><${afi}-address>${n.local_ip}</${afi}-address></connection-local-address>` : ''}<is-administratively-shut-down>${shut}</is-administratively-shut-down><is-neighbor-max-prefix-shutdown>${!!n.max_prefix_shutdown}</is-neighbor-max-prefix-shutdown><connection-down-count>${n.flap_count ?? 0}</connection-down-count><time-since-connection-last-dropped>${n.state === 'Established' ? 0 : (n.elapsed_s ?? 0)}</time-since-connection-last-dropped><reset-reason>${code ? 'bgp-notification-received' : 'bgp-none'}</reset-reason><last-notify-error-code>${code}</last-notify-error-code><last-notify-error-subcode>${sub}</last-notify-error-subcode><received-notification-info><notification-error-code>${code}</notification-error-code><notification-error-subcode>${sub}</notification-error-subcode></received-notification-info>${af
      .map(
        (f) =>
          `<af-data><af-name>${f.afi_safi === 'ipv6-unicast' ? 'ipv6' : 'ipv4'}</af-name><prefixes-accepted>${f.accepted}</prefixes-accepted><prefixes-denied>${f.received - f.accepted}</prefixes-denied><prefixes-advertised>${f.advertised}</prefixes-advertised></af-data>`,
      )
      .join('')}</neighbor>`;
  };
  const xrOperXml = (): string => {
    const vrfs = [...new Set(neighbors.filter((n) => n.vrf).map((n) => n.vrf as string))];
    return `<data><bgp xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-ipv4-bgp-oper"><instances><instance><instance-name>default</instance-name><instance-active><default-vrf><neighbors>${neighbors
      .filter((n) => !n.vrf)
      .map(xrNeighborXml)
      .join('')}</neighbors></default-vrf>${
      vrfs.length
        ? `<vrfs>${vrfs
            .map(
              (v) =>
                `<vrf><vrf-name>${xmlEscape(v)}</vrf-name><neighbors>${neighbors
                  .filter((n) => n.vrf === v)
                  .map(xrNeighborXml)
                  .join('')}</neighbors></vrf>`,
            )
            .join('')}</vrfs>`
        : ''
    }</instance-active></instance></instances></bgp></data>`;
  };
  const xrConfigXml = (c: ConfigState): string => {
    const nb = (n: SimNeighbor, tag: string) =>
      `<${tag}><neighbor-address>${n.peer_ip}</neighbor-address><remote-as><as-xx>0</as-xx><as-yy>${n.remote_asn}</as-yy></remote-as>${n.description ? `<description>${xmlEscape(n.description)}</description>` : ''}${c.disabled.has(key(n.vrf, n.peer_ip)) ? '<shutdown>true</shutdown>' : ''}</${tag}>`;
    const vrfs = [...new Set(neighbors.filter((n) => n.vrf).map((n) => n.vrf as string))];
    return `<bgp xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-ipv4-bgp-cfg"><instance><instance-name>default</instance-name><instance-as><as>0</as><four-byte-as><as>${localAsn}</as><bgp-running/><default-vrf><bgp-entity><neighbors>${neighbors
      .filter((n) => !n.vrf)
      .map((n) => nb(n, 'neighbor'))
      .join('')}</neighbors></bgp-entity></default-vrf>${
      vrfs.length
        ? `<vrfs>${vrfs
            .map(
              (v) =>
                `<vrf><vrf-name>${xmlEscape(v)}</vrf-name><vrf-neighbors>${neighbors
                  .filter((n) => n.vrf === v)
                  .map((n) => nb(n, 'vrf-neighbor'))
                  .join('')}</vrf-neighbors></vrf>`,
            )
            .join('')}</vrfs>`
        : ''
    }</four-byte-as></instance-as></instance></bgp>${c.extra}`;
  };
  /** Applies the BGP part of an IOS-XR <config> to a config state (shutdown leaves); the rest is kept as XML. */
  const xrApply = (c: ConfigState, configXml: string, op: string) => {
    const doc = parseXml(`<config>${configXml}</config>`).config as XmlNode;
    const bgp = doc?.bgp as XmlNode | undefined;
    const visit = (list: XmlNode[], vrf: string | null) => {
      for (const n of list) {
        const ip = textOf(n['neighbor-address']);
        if (!ip) continue;
        const known = neighbors.find((x) => x.peer_ip === ip && (x.vrf ?? null) === vrf);
        if (!known)
          throw new RpcFailure(
            rpcError({
              tag: 'invalid-value',
              message: `'BGP' detected the 'warning' condition 'The neighbor ${ip} does not exist'`,
              path: '/bgp/instance/neighbor',
            }),
          );
        const sh = n.shutdown;
        if (sh === undefined) continue;
        const removeOp =
          typeof sh === 'object' &&
          sh !== null &&
          /^(remove|delete)$/.test(textOf((sh as XmlNode)['@_operation']) ?? '');
        if (removeOp || textOf(sh) === 'false') c.disabled.delete(key(vrf, ip));
        else c.disabled.add(key(vrf, ip));
      }
    };
    if (bgp) {
      for (const inst of asArray(bgp.instance as XmlNode | XmlNode[])) {
        for (const ia of asArray(inst['instance-as'] as XmlNode | XmlNode[])) {
          for (const fb of asArray(ia['four-byte-as'] as XmlNode | XmlNode[])) {
            const dv = fb['default-vrf'] as XmlNode | undefined;
            visit(
              asArray(
                ((dv?.['bgp-entity'] as XmlNode | undefined)?.neighbors as XmlNode | undefined)?.neighbor as
                  XmlNode | XmlNode[],
              ),
              null,
            );
            for (const v of asArray((fb.vrfs as XmlNode | undefined)?.vrf as XmlNode | XmlNode[])) {
              visit(
                asArray((v['vrf-neighbors'] as XmlNode | undefined)?.['vrf-neighbor'] as XmlNode | XmlNode[]),
                textOf(v['vrf-name']),
              );
            }
          }
        }
      }
    }
    const rest = configXml.replace(/<bgp\b[\s\S]*<\/bgp>/, '').trim();
    if (rest) c.extra = op === 'replace' ? rest : c.extra.includes(rest) ? c.extra : c.extra + rest;
    else if (op === 'replace') c.extra = '';
  };
  const pretty = (xml: string) => xml.replace(/></g, '>\n<');
  const lineDiff = (a: string, b: string): string =>
    diffLines(a, b)
      .filter((p) => p.added || p.removed)
      .map((p) =>
        p.value
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `${p.added ? '+' : '-'} ${l.trim()}`)
          .join('\n'),
      )
      .join('\n');

  // ---- one RPC ----
  const handle = (session: number, name: string, node: XmlNode, attrs: XmlNode): string => {
    const needLock = () => {
      if (lockHolder !== null && lockHolder !== session)
        throw new RpcFailure(
          rpcError({ tag: 'lock-denied', message: `configuration database locked by session ${lockHolder}` }),
        );
    };
    switch (name) {
      case 'lock':
        if (lockHolder !== null && lockHolder !== session)
          throw new RpcFailure(
            rpcError({ tag: 'lock-denied', message: `configuration database locked by session ${lockHolder}` }),
          );
        if (
          options.flavor === 'junos' &&
          lockHolder === null &&
          (candidate.extra !== running.extra || [...candidate.disabled].join() !== [...running.disabled].join())
        ) {
          throw new RpcFailure(rpcError({ tag: 'lock-denied', message: 'configuration database modified' }));
        }
        lockHolder = session;
        return '<ok/>';
      case 'unlock':
        if (lockHolder === session) lockHolder = null;
        return '<ok/>';
      case 'discard-changes':
        needLock();
        candidate = clone(running);
        return '<ok/>';
      case 'close-session':
        if (lockHolder === session) lockHolder = null;
        return '<ok/>';
    }
    if (options.flavor === 'junos') {
      switch (name) {
        case 'get-bgp-neighbor-information':
          return junosNeighborsXml();
        case 'get-configuration': {
          const source = textOf(attrs['@_database']) === 'committed' ? running : candidate;
          if (textOf(attrs['@_compare']) === 'rollback') {
            return `<configuration-information><configuration-output>${xmlEscape(lineDiff(junosText(running), junosText(candidate)))}\n</configuration-output></configuration-information>`;
          }
          if (textOf(attrs['@_format']) === 'text')
            return `<configuration-text>${xmlEscape(junosText(source))}</configuration-text>`;
          return junosBgpXml(source);
        }
        case 'load-configuration': {
          needLock();
          if (attrs['@_rollback'] !== undefined) {
            const n = Number(textOf(attrs['@_rollback']));
            const point = n === 0 ? running : history[n - 1]?.config;
            if (!point)
              throw new RpcFailure(
                `<load-configuration-results>${rpcError({ message: `rollback ${n} does not exist` })}</load-configuration-results>`,
              );
            candidate = clone(point);
            return '<load-configuration-results><ok/></load-configuration-results>';
          }
          const action = textOf(attrs['@_action']) ?? 'merge';
          if (action === 'set') {
            const next = clone(candidate);
            for (const line of (textOf(node['configuration-set']) ?? '')
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean)) {
              const m = /^(activate|deactivate)\s+(.*)$/.exec(line);
              const k = m ? junosSetPath(m[2]) : null;
              if (!m || !k)
                throw new RpcFailure(
                  `<load-configuration-results>${rpcError({ message: `syntax error or statement not found: ${line}`, path: '[edit]' })}</load-configuration-results>`,
                );
              if (m[1] === 'deactivate') next.disabled.add(k);
              else next.disabled.delete(k);
            }
            candidate = next;
            return '<load-configuration-results><ok/></load-configuration-results>';
          }
          const text = textOf(node['configuration-text']) ?? '';
          if ((text.match(/{/g) ?? []).length !== (text.match(/}/g) ?? []).length || /\bsyntax-error\b/.test(text)) {
            throw new RpcFailure(
              `<load-configuration-results>${rpcError({ message: 'syntax error, expecting <statement> or }', path: '[edit]' })}<load-error-count>1</load-error-count></load-configuration-results>`,
            );
          }
          if (action === 'override') candidate.extra = text.trim();
          else if (!candidate.extra.includes(text.trim()))
            candidate.extra = [candidate.extra, text.trim()].filter(Boolean).join('\n');
          return '<load-configuration-results><ok/></load-configuration-results>';
        }
        case 'commit-configuration': {
          needLock();
          const log = textOf(node.log) ?? '';
          if (node.confirmed !== undefined) {
            const minutes = Number(textOf(node['confirm-timeout']) ?? '10');
            if (confirm) clearTimeout(confirm.timer);
            const previous = confirm?.previous ?? clone(running);
            commit(`commit confirmed, rollback in ${minutes}mins${log ? ` ${log}` : ''}`);
            confirm = {
              previous,
              session,
              timer: setTimeout(() => revert('automatic rollback: commit not confirmed'), minutes * minuteMs),
            };
          } else {
            if (confirm) {
              clearTimeout(confirm.timer);
              confirm = null;
            }
            commit(log || 'commit');
          }
          return '<commit-results><routing-engine><name>re0</name><commit-success/></routing-engine></commit-results>';
        }
        case 'get-commit-information':
          return `<commit-information>${history
            .slice(0, 5)
            .map(
              (h, i) =>
                `<commit-history><sequence-number>${i}</sequence-number><user>${username}</user><client>netconf</client><date-time junos:seconds="${Math.floor(h.at.getTime() / 1000)}">${h.at.toISOString()}</date-time><log>${xmlEscape(h.comment)}</log></commit-history>`,
            )
            .join('')}</commit-information>`;
      }
    } else {
      switch (name) {
        case 'get': {
          const filter = JSON.stringify(node.filter ?? {});
          if (filter.includes('instance-active') || filter.includes('bgp')) return xrOperXml();
          return '<data/>';
        }
        case 'get-config': {
          const src = (node.source ?? {}) as XmlNode;
          return `<data>${xrConfigXml(src.candidate !== undefined ? candidate : running)}</data>`;
        }
        case 'edit-config': {
          needLock();
          const target = (node.target ?? {}) as XmlNode;
          if (target.candidate === undefined)
            throw new RpcFailure(
              rpcError({ tag: 'operation-not-supported', message: 'only the candidate datastore can be edited' }),
            );
          const raw = /<config\b[^>]*>([\s\S]*)<\/config>/.exec(rpcXml[rpcXml.length - 1])?.[1] ?? '';
          if (/<syntax-error\b/.test(raw))
            throw new RpcFailure(
              rpcError({
                tag: 'invalid-value',
                message: "'YANG framework' detected the 'fatal' condition 'Invalid configuration'",
                path: '/config/syntax-error',
              }),
            );
          const op = textOf(node['default-operation']) ?? 'merge';
          const next = clone(candidate);
          xrApply(next, raw, op);
          candidate = next;
          return '<ok/>';
        }
        case 'commit': {
          needLock();
          if (node.confirmed !== undefined) {
            const seconds = Number(textOf(node['confirm-timeout']) ?? '600');
            if (confirm) clearTimeout(confirm.timer);
            const previous = confirm?.previous ?? clone(running);
            commit('commit confirmed');
            confirm = {
              previous,
              session,
              timer: setTimeout(() => revert('confirmed commit timed out'), seconds * secondMs),
            };
          } else {
            if (confirm) {
              clearTimeout(confirm.timer);
              confirm = null;
            }
            commit('commit');
          }
          return '<ok/>';
        }
        case 'cancel-commit':
          if (!confirm)
            throw new RpcFailure(rpcError({ tag: 'operation-failed', message: 'no confirmed commit is pending' }));
          revert('cancel-commit');
          return '<ok/>';
      }
    }
    throw new RpcFailure(
      rpcError({
        type: 'protocol',
        tag: 'operation-not-supported',
        message: `syntax error, expecting <rpc> content: <${name}>`,
      }),
    );
  };

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    connections++;
    client.on('close', () => {
      clients.delete(client);
      connections--;
    });
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.username === username && ctx.method === 'password') {
        const a = Buffer.from(ctx.password);
        const b = Buffer.from(password);
        return a.length === b.length && timingSafeEqual(a, b) ? ctx.accept() : ctx.reject(['password', 'publickey']);
      }
      if (ctx.username === username && ctx.method === 'publickey') {
        if (ctx.key.algo !== clientPub.type || !ctx.key.data.equals(clientPub.getPublicSSH()))
          return ctx.reject(['password', 'publickey']);
        if (!ctx.signature) return ctx.accept();
        return ctx.blob && clientPub.verify(ctx.blob, ctx.signature, ctx.hashAlgo)
          ? ctx.accept()
          : ctx.reject(['password', 'publickey']);
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const sess = accept();
        sess.on('subsystem', (acceptSub, rejectSub, info) => {
          if (info.name !== 'netconf') return rejectSub();
          serve(acceptSub());
        });
      });
    });
  });

  const serve = (stream: ServerChannel) => {
    const session = ++sessionSeq;
    const caps = [
      NETCONF_BASE_10,
      ...(base11 ? [NETCONF_BASE_11] : []),
      'urn:ietf:params:netconf:capability:candidate:1.0',
      'urn:ietf:params:netconf:capability:confirmed-commit:1.0',
      ...(options.flavor === 'iosxr'
        ? [
            'urn:ietf:params:netconf:capability:confirmed-commit:1.1',
            'http://cisco.com/ns/yang/Cisco-IOS-XR-ipv4-bgp-oper?module=Cisco-IOS-XR-ipv4-bgp-oper&revision=2019-04-05',
          ]
        : ['http://xml.juniper.net/netconf/junos/1.0']),
    ];
    stream.write(
      `<?xml version="1.0" encoding="UTF-8"?><hello xmlns="${NS}"><capabilities>${caps.map((c) => `<capability>${xmlEscape(c)}</capability>`).join('')}</capabilities><session-id>${session}</session-id></hello>${EOM}`,
    );
    let helloDone = false;
    let chunked = false;
    let buf = '';
    stream.setEncoding('utf8');
    const reply = (xml: string) => {
      if (stream.destroyed || !stream.writable) return;
      stream.write(chunked ? encodeChunk(xml) : xml + EOM);
    };
    const onMessage = (msg: string) => {
      if (!helloDone) {
        helloDone = true;
        const clientCaps = asArray(
          ((parseXml(msg).hello as XmlNode | undefined)?.capabilities as XmlNode | undefined)?.capability,
        ).map((c) => textOf(c));
        chunked = base11 && clientCaps.includes(NETCONF_BASE_11);
        return;
      }
      let doc: XmlNode;
      try {
        doc = parseXml(msg);
      } catch {
        return reply(
          `<rpc-reply xmlns="${NS}">${rpcError({ type: 'rpc', tag: 'malformed-message', message: 'not well-formed XML' })}</rpc-reply>`,
        );
      }
      const rpc = (doc.rpc ?? {}) as XmlNode;
      const mid = textOf(rpc['@_message-id']) ?? '';
      const opName = Object.keys(rpc).find((k) => !k.startsWith('@_') && k !== '#text') ?? 'rpc';
      const opNode = rpc[opName];
      const node = (opNode && typeof opNode === 'object' ? opNode : {}) as XmlNode;
      rpcs.push(opName);
      rpcXml.push(msg);
      const head = `<rpc-reply message-id="${xmlEscape(mid)}" xmlns="${NS}"${options.flavor === 'junos' ? ' xmlns:junos="http://xml.juniper.net/junos/21.4R3/junos"' : ''}>`;
      if (fault && (!fault.rpc || fault.rpc === opName)) {
        const f = fault;
        if (f.times !== undefined && --f.times <= 0) fault = null;
        if (f.mode === 'stall') return;
        return reply(`${head}${rpcError(f)}</rpc-reply>`);
      }
      let body: string;
      try {
        body = handle(session, opName, node, node);
      } catch (e) {
        body = e instanceof RpcFailure ? e.xml : rpcError({ message: (e as Error).message });
      }
      reply(`${head}${body}</rpc-reply>`);
      if (opName === 'close-session') stream.end();
    };
    stream.on('data', (d: string) => {
      buf += d;
      for (;;) {
        if (!helloDone || !chunked) {
          const end = buf.indexOf(EOM);
          if (end < 0) break;
          const msg = buf.slice(0, end);
          buf = buf.slice(end + EOM.length);
          onMessage(msg);
          continue;
        }
        const r = decodeChunks(buf);
        buf = r.rest;
        for (const m of r.messages) onMessage(m);
        break;
      }
    });
    stream.on('close', () => {
      if (lockHolder === session) {
        lockHolder = null;
        // A session that ends holding the lock loses its uncommitted changes (as the routers do).
        if (!confirm) candidate = clone(running);
      }
    });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    host: '127.0.0.1',
    port,
    hostname: `netconf://127.0.0.1:${port}`,
    username,
    password,
    hostKeyFingerprint: fingerprint,
    clientPrivateKey: clientKey.private,
    rpcs,
    rpcXml,
    neighbors,
    get connections() {
      return connections;
    },
    setFault(f) {
      fault = f ? { ...f } : null;
    },
    runningText: () => (options.flavor === 'junos' ? junosText(running) : pretty(xrConfigXml(running))),
    candidateText: () => (options.flavor === 'junos' ? junosText(candidate) : pretty(xrConfigXml(candidate))),
    isDisabled: (vrf, ip) => running.disabled.has(key(vrf, ip)),
    pendingConfirm: () => confirm !== null,
    async close() {
      if (confirm) clearTimeout(confirm.timer);
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
