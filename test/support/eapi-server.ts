// An Arista EOS eAPI look-alike for tests: HTTPS on 127.0.0.1 (port 0) with a self-signed certificate made
// at start by the openssl CLI, basic auth, JSON-RPC 2.0 `runCmds` for the BGP show commands, running
// config, `configure` + `router bgp` + `[no] neighbor X shutdown [reason …]`, configuration sessions
// (load, `show session-config diffs`, `commit timer`, `commit`, `abort`), JSON-RPC errors the way eAPI
// reports them (code 1002 with per-command `errors` in data) and a stall mode. Records every request.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';

/** One neighbour of the simulated switch. */
export interface EosSimNeighbor {
  vrf: string | null;
  peer_ip: string;
  remote_asn: number;
  description?: string;
  /** Established | Idle | Active | Connect | OpenSent | OpenConfirm */
  state: string;
  /** peerStateIdleReason when Idle (e.g. MaxPath); "Admin" is set by the config's shutdown. */
  idle_reason?: string;
  /** Epoch seconds of the last state change. */
  up_down_time: number;
  families?: { afi_safi: 'ipv4-unicast' | 'ipv6-unicast'; received: number; accepted: number; advertised: number }[];
}

export interface EapiFault {
  /** Command text to match (exact); any request when unset. */
  command?: string;
  mode: 'error' | 'stall';
  code?: number;
  message?: string;
  times?: number;
}

interface Config {
  shutdown: Map<string, string | null>;
  lines: string[];
}

interface ConfigSession {
  config: Config;
  state: 'pending' | 'pendingCommitTimer' | 'completed';
  timer?: NodeJS.Timeout;
  previous?: Config;
}

export interface EapiTestServer {
  host: string;
  port: number;
  /** `https://127.0.0.1:PORT` */
  hostname: string;
  username: string;
  password: string;
  /** PEM of the self-signed certificate (for ca_pem). */
  certPem: string;
  /** Every runCmds request in order. */
  requests: { cmds: string[]; format: string }[];
  /** All commands of all requests, flattened. */
  commands: string[];
  /** TCP connections accepted (keep-alive means one per job). */
  connections: number;
  neighbors: EosSimNeighbor[];
  setFault(f: EapiFault | null): void;
  runningConfig(): string;
  /** The reason text of a shut neighbour, null when shut without one, undefined when not shut. */
  shutdownOf(vrf: string | null, ip: string): string | null | undefined;
  sessions: Map<string, ConfigSession>;
  close(): Promise<void>;
}

const key = (vrf: string | null, ip: string) => `${vrf ?? 'default'}|${ip}`;
const clone = (c: Config): Config => ({ shutdown: new Map(c.shutdown), lines: [...c.lines] });

class CommandError extends Error {}

/** Starts the server. `secondMs` scales the commit timer (default 1000 ms per second). */
export async function startEapiServer(opts: {
  neighbors: EosSimNeighbor[];
  localAsn?: number;
  username?: string;
  password?: string;
  secondMs?: number;
}): Promise<EapiTestServer> {
  const username = opts.username ?? 'admin';
  const password = opts.password ?? 'eapi-lab-password';
  const localAsn = opts.localAsn ?? 64500;
  const secondMs = opts.secondMs ?? 1000;
  const neighbors = opts.neighbors;
  const dir = mkdtempSync(join(tmpdir(), 'peerdesk-eapi-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
  const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });

  let running: Config = { shutdown: new Map(), lines: [] };
  const sessions = new Map<string, ConfigSession>();
  const requests: { cmds: string[]; format: string }[] = [];
  const commands: string[] = [];
  let fault: EapiFault | null = null;
  let connections = 0;
  const sockets = new Set<Socket>();

  const render = (c: Config): string => {
    const out = ['! Command: show running-config', 'hostname eos-lab', '!', `router bgp ${localAsn}`];
    const nb = (n: EosSimNeighbor, indent: string) => {
      out.push(`${indent}neighbor ${n.peer_ip} remote-as ${n.remote_asn}`);
      if (n.description) out.push(`${indent}neighbor ${n.peer_ip} description ${n.description}`);
      if (c.shutdown.has(key(n.vrf, n.peer_ip))) {
        const r = c.shutdown.get(key(n.vrf, n.peer_ip));
        out.push(`${indent}neighbor ${n.peer_ip} shutdown${r ? ` reason ${r}` : ''}`);
      }
    };
    for (const n of neighbors.filter((x) => !x.vrf)) nb(n, '   ');
    for (const v of [...new Set(neighbors.filter((x) => x.vrf).map((x) => x.vrf as string))]) {
      out.push('   !', `   vrf ${v}`);
      for (const n of neighbors.filter((x) => x.vrf === v)) nb(n, '      ');
    }
    out.push('!', ...c.lines, 'end');
    return `${out.join('\n')}\n`;
  };

  const summary = (afi: 'ipv4-unicast' | 'ipv6-unicast') => {
    const vrfs: Record<string, unknown> = {};
    for (const n of neighbors) {
      const fam = n.families?.find((f) => f.afi_safi === afi);
      // A neighbour shows in a family's summary when it carries that family, or by its transport.
      if (!fam && (afi === 'ipv6-unicast') !== n.peer_ip.includes(':')) continue;
      const v = n.vrf ?? 'default';
      const vrf = (vrfs[v] ??= { routerId: '192.0.2.1', asn: String(localAsn), vrf: v, peers: {} }) as {
        peers: Record<string, unknown>;
      };
      const shut = running.shutdown.has(key(n.vrf, n.peer_ip));
      const state = shut ? 'Idle' : n.state;
      const up = state === 'Established';
      vrf.peers[n.peer_ip] = {
        ...(n.description ? { description: n.description } : {}),
        msgSent: 10,
        inMsgQueue: 0,
        prefixReceived: up ? (fam?.received ?? 0) : 0,
        upDownTime: n.up_down_time,
        version: 4,
        msgReceived: 10,
        prefixAccepted: up ? (fam?.accepted ?? 0) : 0,
        peerState: state,
        ...(shut
          ? { peerStateIdleReason: 'Admin' }
          : n.idle_reason && state === 'Idle'
            ? { peerStateIdleReason: n.idle_reason }
            : {}),
        outMsgQueue: 0,
        underMaintenance: false,
        asn: String(n.remote_asn),
      };
    }
    return { vrfs };
  };
  const neighborsJson = () => {
    const vrfs: Record<string, { peerList: unknown[] }> = {};
    for (const n of neighbors) {
      const shut = running.shutdown.has(key(n.vrf, n.peer_ip));
      const up = !shut && n.state === 'Established';
      (vrfs[n.vrf ?? 'default'] ??= { peerList: [] }).peerList.push({
        peerAddress: n.peer_ip,
        asn: String(n.remote_asn),
        localAsn: String(localAsn),
        linkType: 'external',
        state: shut ? 'Idle' : n.state,
        prefixesSent: up ? (n.families?.find((f) => f.afi_safi === 'ipv4-unicast')?.advertised ?? 0) : 0,
        v6PrefixesSent: up ? (n.families?.find((f) => f.afi_safi === 'ipv6-unicast')?.advertised ?? 0) : 0,
        establishedTransitions: 1,
        ...(n.description ? { description: n.description } : {}),
      });
    }
    return { vrfs };
  };

  const revertSession = (s: ConfigSession) => {
    if (s.timer) clearTimeout(s.timer);
    if (s.previous) running = s.previous;
    s.state = 'completed';
    s.timer = undefined;
    s.previous = undefined;
  };

  /** Runs one request's commands in order (CLI modes persist only within a request, as in eAPI). */
  const runRequest = (
    cmds: string[],
    format: string,
  ): { results: unknown[]; error?: { index: number; message: string; code: number } } => {
    const results: unknown[] = [];
    let mode: 'exec' | 'enable' | 'config' | 'router-bgp' = 'exec';
    let target: { config: Config; session: string | null } | null = null;
    let bgpVrf: string | null = null;
    const out = (json: unknown, text = '') => results.push(format === 'json' ? json : { output: text });
    for (let i = 0; i < cmds.length; i++) {
      const cmd = cmds[i].trim();
      try {
        let m: RegExpExecArray | null;
        if (cmd === 'enable') {
          mode = mode === 'exec' ? 'enable' : mode;
          out({});
        } else if (cmd === 'show version') {
          out(
            { modelName: 'vEOS-lab', version: '4.31.2F', serialNumber: 'LAB0001' },
            'Arista vEOS-lab\nSoftware image version: 4.31.2F\n',
          );
        } else if (cmd === 'show ip bgp summary vrf all') {
          out(summary('ipv4-unicast'));
        } else if (cmd === 'show ipv6 bgp summary vrf all') {
          out(summary('ipv6-unicast'));
        } else if (cmd === 'show ip bgp neighbors vrf all') {
          out(neighborsJson());
        } else if (cmd === 'show running-config') {
          if (format === 'json')
            throw Object.assign(new CommandError('Command cannot be converted to JSON: show running-config'), {
              code: 1003,
            });
          out({}, render(running));
        } else if (cmd === 'show configuration sessions detail') {
          out({
            sessions: Object.fromEntries([...sessions].map(([name, s]) => [name, { state: s.state, description: '' }])),
            maxSavedSessions: 1,
            maxOpenSessions: 5,
          });
        } else if (cmd === 'write memory' || cmd === 'copy running-config startup-config') {
          out({ messages: ['Copy completed successfully.'] });
        } else if ((m = /^configure session (\S+) commit timer (\d\d):(\d\d):(\d\d)$/.exec(cmd))) {
          const s = sessions.get(m[1]);
          if (!s || s.state === 'completed') throw new CommandError(`% Session ${m[1]} does not exist`);
          const secs = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
          s.previous = clone(running);
          running = clone(s.config);
          s.state = 'pendingCommitTimer';
          s.timer = setTimeout(() => revertSession(s), secs * secondMs);
          out({});
        } else if ((m = /^configure session (\S+) commit$/.exec(cmd))) {
          const s = sessions.get(m[1]);
          if (!s || s.state === 'completed') throw new CommandError(`% Session ${m[1]} does not exist`);
          if (s.state === 'pendingCommitTimer') {
            if (s.timer) clearTimeout(s.timer);
          } else running = clone(s.config);
          s.state = 'completed';
          s.timer = undefined;
          s.previous = undefined;
          out({});
        } else if ((m = /^configure session (\S+) abort$/.exec(cmd))) {
          const s = sessions.get(m[1]);
          if (!s || s.state === 'completed') throw new CommandError(`% Session ${m[1]} does not exist`);
          if (s.state === 'pendingCommitTimer') revertSession(s);
          else sessions.delete(m[1]);
          out({});
        } else if ((m = /^configure session (\S+)$/.exec(cmd))) {
          if (mode === 'exec') throw new CommandError('% Invalid input (privileged mode required)');
          let s = sessions.get(m[1]);
          if (!s || s.state === 'completed') {
            s = { config: clone(running), state: 'pending' };
            sessions.set(m[1], s);
          }
          target = { config: s.config, session: m[1] };
          mode = 'config';
          out({});
        } else if (cmd === 'configure' || cmd === 'configure terminal') {
          if (mode === 'exec') throw new CommandError('% Invalid input (privileged mode required)');
          target = { config: running, session: null };
          mode = 'config';
          out({});
        } else if (cmd === 'end' || cmd === 'exit') {
          if (cmd === 'exit' && mode === 'router-bgp' && bgpVrf) bgpVrf = null;
          else if (cmd === 'exit' && mode === 'router-bgp') mode = 'config';
          else {
            mode = 'enable';
            target = null;
          }
          out({});
        } else if (mode === 'config' || mode === 'router-bgp') {
          const cfg = target!.config;
          if ((m = /^router bgp (\S+)$/.exec(cmd))) {
            if (Number(m[1]) !== localAsn)
              throw new CommandError(`% BGP is already running with AS number ${localAsn}`);
            mode = 'router-bgp';
            bgpVrf = null;
          } else if (mode === 'router-bgp' && (m = /^vrf (\S+)$/.exec(cmd))) {
            bgpVrf = m[1];
          } else if (mode === 'router-bgp' && (m = /^(no )?neighbor (\S+) shutdown(?: reason (.*))?$/.exec(cmd))) {
            const n = neighbors.find((x) => x.peer_ip === m![2] && (x.vrf ?? null) === bgpVrf);
            if (!n) throw new CommandError(`% Neighbor ${m[2]} does not exist${bgpVrf ? ` in VRF ${bgpVrf}` : ''}`);
            if (m[1]) cfg.shutdown.delete(key(bgpVrf, m[2]));
            else cfg.shutdown.set(key(bgpVrf, m[2]), m[3] ?? null);
          } else if (cmd === 'show session-config diffs') {
            if (!target!.session) throw new CommandError('% Not in a configuration session');
            const patch = createTwoFilesPatch(
              'system:/running-config',
              `session:/${target!.session}-session-config`,
              render(running),
              render(cfg),
              undefined,
              undefined,
              { context: 3 },
            );
            const body = patch.split('\n').slice(2).join('\n');
            out({}, /^@@/m.test(body) ? patch.replace(/^=+\n/m, '').replace(/^Index:.*\n/m, '') : '');
            continue;
          } else if (cmd === 'rollback clean-config') {
            if (!target!.session) throw new CommandError('% rollback is only available in a configuration session');
            cfg.lines = [];
            cfg.shutdown.clear();
          } else if (/invalid-command/.test(cmd)) {
            throw new CommandError(`Invalid input (at token 0: '${cmd.split(' ')[0]}')`);
          } else if (!cfg.lines.includes(cmd)) {
            cfg.lines.push(cmd);
          }
          out({});
        } else {
          throw new CommandError(`Invalid input (at token 0: '${cmd.split(' ')[0]}')`);
        }
      } catch (e) {
        const code = (e as { code?: number }).code ?? 1002;
        return { results, error: { index: i, message: (e as Error).message, code } };
      }
    }
    return { results };
  };

  const server = https.createServer({ key: keyPem, cert: certPem, keepAlive: true }, (req, res) => {
    const auth = req.headers.authorization ?? '';
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    if (auth !== expected) {
      res.writeHead(401, { 'content-type': 'text/html', 'www-authenticate': 'Basic realm="eAPI"' });
      res.end('<html><body>Unauthorized</body></html>');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/command-api') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let rpc: {
        id?: unknown;
        method?: string;
        params?: { version?: number; cmds?: (string | { cmd: string })[]; format?: string };
      };
      try {
        rpc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
        return;
      }
      const send = (body: unknown) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id ?? null, ...(body as object) }));
      if (rpc.method !== 'runCmds' || !Array.isArray(rpc.params?.cmds))
        return send({ error: { code: -32601, message: 'Method not found' } });
      const cmds = rpc.params.cmds.map((c) => (typeof c === 'string' ? c : c.cmd));
      const format = rpc.params.format ?? 'json';
      requests.push({ cmds, format });
      commands.push(...cmds);
      if (fault && (!fault.command || cmds.includes(fault.command))) {
        const f = fault;
        if (f.times !== undefined && --f.times <= 0) fault = null;
        if (f.mode === 'stall') return; // never answer
        const idx = f.command ? cmds.indexOf(f.command) : 0;
        return send({
          error: {
            code: f.code ?? 1002,
            message:
              f.message ?? `CLI command ${idx + 1} of ${cmds.length} '${cmds[idx]}' failed: could not run command`,
            data: [...cmds.slice(0, idx).map(() => ({})), { errors: [f.message ?? 'internal error'] }],
          },
        });
      }
      const r = runRequest(cmds, format);
      if (r.error) {
        const { index, message, code } = r.error;
        return send({
          error: {
            code,
            message: `CLI command ${index + 1} of ${cmds.length} '${cmds[index]}' failed: ${code === 1003 ? 'unconverted command' : 'invalid command'}`,
            data: [...r.results, { errors: [message] }],
          },
        });
      }
      send({ result: r.results });
    });
  });
  server.on('secureConnection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    host: '127.0.0.1',
    port,
    hostname: `https://127.0.0.1:${port}`,
    username,
    password,
    certPem,
    requests,
    commands,
    get connections() {
      return connections;
    },
    neighbors,
    sessions,
    setFault(f) {
      fault = f ? { ...f } : null;
    },
    runningConfig: () => render(running),
    shutdownOf: (vrf, ip) =>
      running.shutdown.has(key(vrf, ip)) ? (running.shutdown.get(key(vrf, ip)) ?? null) : undefined,
    async close() {
      for (const s of sessions.values()) if (s.timer) clearTimeout(s.timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
