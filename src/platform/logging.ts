// pino JSON logs; secrets are redacted wherever they could appear.
import pino, { type Logger } from 'pino';

/** Creates the process logger at the configured level. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'peerdesk' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        '*.password',
        '*.password_enc',
        '*.credentials',
        '*.key',
        'password',
      ],
      censor: '[redacted]',
    },
  });
}
