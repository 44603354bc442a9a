// eAPI hostname forms and the description of JSON-RPC errors.
import { describe, expect, it } from 'vitest';
import { describeEapiError, eapiBaseUrl } from './eapi.ts';

describe('eapi helpers', () => {
  it('builds the base URL from every hostname form', () => {
    expect(eapiBaseUrl('sw1.example.net')).toBe('https://sw1.example.net:443');
    expect(eapiBaseUrl('sw1.example.net', 8443)).toBe('https://sw1.example.net:8443');
    expect(eapiBaseUrl('https://192.0.2.5:4443/command-api', 8443)).toBe('https://192.0.2.5:4443');
    expect(eapiBaseUrl('[2001:db8::5]:4443')).toBe('https://[2001:db8::5]:4443');
    expect(eapiBaseUrl('2001:db8::5')).toBe('https://[2001:db8::5]:443');
    expect(() => eapiBaseUrl('http://sw1')).toThrow(/eAPI needs https/);
  });

  it('names the failing command and its errors', () => {
    const msg = describeEapiError(
      {
        code: 1002,
        message: "CLI command 2 of 3 'show ip bgp foo' failed: invalid command",
        data: [{}, { errors: ["Invalid input (at token 3: 'foo')"] }],
      },
      ['enable', 'show ip bgp foo', 'show version'],
    );
    expect(msg).toBe(
      "eAPI error 1002: CLI command 2 of 3 'show ip bgp foo' failed: invalid command (\"show ip bgp foo\": Invalid input (at token 3: 'foo'))",
    );
    expect(describeEapiError({ code: -32601, message: 'Method not found' }, [])).toBe(
      'eAPI error -32601: Method not found',
    );
  });
});
