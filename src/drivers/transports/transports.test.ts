// Address parsing, fingerprints, quoting and the vtysh/gRPC transports' failure modes (no daemon needed).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertSocketAllowed, shellQuote, socketDirsOf } from './common.ts';
import { GrpcConnection, parseGrpcUrl } from './grpc.ts';
import { parseSshUrl, sshFingerprint } from './ssh.ts';
import { localVtysh, vtyshArgs } from './vtysh.ts';
import { fileURLToPath } from 'node:url';

const signal = new AbortController().signal;

describe('transport helpers', () => {
  it('splits ssh:// hostnames with optional user, port and remote path', () => {
    expect(parseSshUrl('ssh://frr@192.0.2.1:2222/run/frr')).toEqual({
      user: 'frr',
      host: '192.0.2.1',
      port: 2222,
      path: '/run/frr',
    });
    expect(parseSshUrl('ssh://[2001:db8::1]')).toEqual({ user: null, host: '2001:db8::1', port: null, path: null });
    expect(parseSshUrl('ssh://r1.example.net/')).toEqual({
      user: null,
      host: 'r1.example.net',
      port: null,
      path: null,
    });
    expect(parseSshUrl('ssh://r1:70000')).toBeNull();
    expect(parseSshUrl('http://r1')).toBeNull();
  });

  it('splits grpc:// hostnames (a port is required)', () => {
    expect(parseGrpcUrl('grpc://127.0.0.1:50051')).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(parseGrpcUrl('grpc://[::1]:50051')).toEqual({ host: '[::1]', port: 50051 });
    expect(parseGrpcUrl('grpc://gobgp')).toBeNull();
  });

  it('fingerprints host keys as OpenSSH does (SHA256, unpadded base64)', () => {
    // The ed25519 public key blob of RFC 8032's test vector 1 key.
    const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 32]),
      pub,
    ]);
    // What `ssh-keygen -l -E sha256` prints for this key.
    expect(sshFingerprint(blob)).toBe('SHA256:bbXpuKG6zhzdmnxq256TlqzFBzRl2f6OOg722cYNbU8');
    expect(sshFingerprint(blob)).not.toBe(sshFingerprint(Buffer.concat([blob, Buffer.from([0])])));
  });

  it('quotes remote shell arguments', () => {
    expect(shellQuote('show bgp vrf all neighbors json')).toBe(`'show bgp vrf all neighbors json'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('/run/frr')).toBe('/run/frr');
    expect(vtyshArgs('/run/frr', ['a', 'b'])).toEqual([
      '--vty_socket',
      '/run/frr',
      '-H',
      '/dev/null',
      '-c',
      'a',
      '-c',
      'b',
    ]);
  });

  it('allows local sockets only under the allowed directories (session, else PEERDESK_SOCKET_DIRS)', () => {
    expect(() => assertSocketAllowed('/run/bird/bird.ctl', { socketDirs: ['/run/bird'] })).not.toThrow();
    for (const bad of ['/run/bird/../etc/x', '/run/birdx/bird.ctl', 'run/bird/bird.ctl', '/run//bird/x']) {
      expect(() => assertSocketAllowed(bad, { socketDirs: ['/run/bird'] }), bad).toThrow(
        expect.objectContaining({ code: 'socket_not_allowed' }),
      );
    }
    const before = process.env.PEERDESK_SOCKET_DIRS;
    process.env.PEERDESK_SOCKET_DIRS = '/a/, /b';
    try {
      expect(socketDirsOf({})).toEqual(['/a', '/b']);
      expect(socketDirsOf({ socketDirs: [] })).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.PEERDESK_SOCKET_DIRS;
      else process.env.PEERDESK_SOCKET_DIRS = before;
    }
  });

  it('vtysh without a daemon behind the socket dir is unreachable, not a crash', async () => {
    const v = localVtysh('r', '/tmp/peerdesk-no-such-vty-dir', { signal, socketDirs: ['/tmp'], timeoutMs: 10_000 });
    await expect(v.run(['show version'])).rejects.toMatchObject({ code: 'router_unreachable' });
  });

  it('gRPC to a closed port is unreachable', async () => {
    const proto = fileURLToPath(new URL('../gobgp/gobgp-api.proto', import.meta.url));
    const c = new GrpcConnection('r', '127.0.0.1:1', proto, 'apipb.GobgpApi', null, { signal, timeoutMs: 5_000 });
    try {
      await expect(c.stream('ListPeer', {})).rejects.toMatchObject({ code: 'router_unreachable' });
    } finally {
      c.close();
    }
  });

  it('does not put an unusable private key into the error', async () => {
    const { SshConnection } = await import('./ssh.ts');
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const broken = key.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nXX');
    const err = await SshConnection.connect(
      { host: '127.0.0.1', port: 1, username: 'u', router: 'r' },
      { ssh_private_key: broken },
      { signal, timeoutMs: 5_000 },
    ).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err).toMatchObject({ code: 'router_unreachable' });
    expect(err!.message).not.toContain(broken.split('\n')[1].slice(0, 16));
  });
});
