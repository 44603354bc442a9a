// NETCONF framing, hostname forms, <rpc-error> description and log redaction.
import { describe, expect, it } from 'vitest';
import {
  decodeChunks,
  describeRpcErrors,
  encodeChunk,
  findRpcErrors,
  parseNetconfHostname,
  parseXml,
  redactSecrets,
} from './netconf.ts';

describe('netconf helpers', () => {
  it('round-trips chunked framing, multi-byte text and partial input', () => {
    const a = encodeChunk('<rpc-reply>é</rpc-reply>');
    const b = encodeChunk('<ok/>');
    expect(a.startsWith(`\n#${Buffer.byteLength('<rpc-reply>é</rpc-reply>')}\n`)).toBe(true);
    expect(decodeChunks(a + b)).toEqual({ messages: ['<rpc-reply>é</rpc-reply>', '<ok/>'], rest: '' });
    const partial = decodeChunks(a + b.slice(0, 5));
    expect(partial.messages).toEqual(['<rpc-reply>é</rpc-reply>']);
    expect(partial.rest).toBe(b.slice(0, 5));
    // A message split over several chunks.
    expect(decodeChunks('\n#3\n<ok\n#2\n/>\n##\n').messages).toEqual(['<ok/>']);
  });

  it('parses hostname forms', () => {
    expect(parseNetconfHostname('r1.example.net')).toEqual({ host: 'r1.example.net', port: 830, user: null });
    expect(parseNetconfHostname('192.0.2.1:2022')).toEqual({ host: '192.0.2.1', port: 2022, user: null });
    expect(parseNetconfHostname('netconf://[2001:db8::1]:8300')).toEqual({
      host: '2001:db8::1',
      port: 8300,
      user: null,
    });
    expect(parseNetconfHostname('ssh://ops@r1:22')).toEqual({ host: 'r1', port: 22, user: 'ops' });
    expect(parseNetconfHostname('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 830, user: null });
    expect(() => parseNetconfHostname('https://r1')).toThrow(/netconf:\/\/host/);
    expect(() => parseNetconfHostname('r1:99999')).toThrow(/not host\[:port\]/);
  });

  it('finds nested rpc-errors and ignores nothing but warnings are reported with severity', () => {
    const doc = parseXml(
      '<rpc-reply><load-configuration-results><rpc-error><error-type>protocol</error-type><error-tag>operation-failed</error-tag><error-severity>error</error-severity><error-path>[edit]</error-path><error-message>syntax error</error-message></rpc-error><rpc-error><error-severity>warning</error-severity><error-message>statement has no effect</error-message></rpc-error></load-configuration-results></rpc-reply>',
    );
    const errs = findRpcErrors(doc);
    expect(errs).toHaveLength(2);
    expect(describeRpcErrors(errs.filter((e) => e.severity !== 'warning'))).toBe(
      'operation-failed: syntax error (at [edit])',
    );
  });

  it('redacts secrets before they reach a job log', () => {
    const text = 'neighbor 192.0.2.2 { authentication-key "$9$abcDEF"; } <password>hunter2</password> secret s3cr3t;';
    const out = redactSecrets(text);
    expect(out).not.toContain('$9$abcDEF');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('s3cr3t');
    expect(out).toContain('neighbor 192.0.2.2');
    const cli = redactSecrets(
      'neighbor 192.0.2.2 password 7 0822455D0A16 ; username ops secret 5 $1$abc$xyz ; neighbor 192.0.2.3 remote-as 64503',
    );
    expect(cli).toBe(
      'neighbor 192.0.2.2 password 7 *** ; username ops secret 5 *** ; neighbor 192.0.2.3 remote-as 64503',
    );
  });
});
