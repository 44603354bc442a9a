// Domain errors with stable codes; the HTTP edge maps them to RFC 9457 problem+json once.

/** One problem with one input field (dotted path, e.g. `address_families.0.afi_safi`). */
export interface FieldError {
  field: string;
  message: string;
}

/** Base of every error the application raises on purpose. */
export class DomainError extends Error {
  readonly code: string;
  readonly status: number;
  /** Writable: bulk routes prefix each field with the failing item's index. */
  fields: FieldError[];
  constructor(code: string, status: number, message: string, fields: FieldError[] = []) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

/** Bad input: names each offending field (HTTP 400). */
export class ValidationError extends DomainError {
  constructor(fields: FieldError[] | string, message?: string) {
    const list = typeof fields === 'string' ? [{ field: fields, message: message ?? 'is invalid' }] : fields;
    super(
      'validation_error',
      400,
      message && typeof fields !== 'string' ? message : list.map((f) => `${f.field}: ${f.message}`).join('; '),
      list,
    );
  }
}

/** The addressed object does not exist (HTTP 404). */
export class NotFoundError extends DomainError {
  constructor(what: string, id?: unknown) {
    super('not_found', 404, id === undefined ? `${what} not found` : `${what} ${id} not found`);
  }
}

/** The write conflicts with existing data, e.g. a duplicate or a protected reference (HTTP 409). */
export class ConflictError extends DomainError {
  constructor(message: string, fields: FieldError[] = [], code = 'conflict') {
    super(code, 409, message, fields);
  }
}

/** The client's If-Match no longer matches (HTTP 412). */
export class PreconditionFailedError extends DomainError {
  constructor(message = 'the object was changed by someone else; reload it and try again') {
    super('precondition_failed', 412, message);
  }
}

/** Missing or invalid credentials (HTTP 401). */
export class UnauthorizedError extends DomainError {
  constructor(message = 'authentication required') {
    super('unauthorized', 401, message);
  }
}

/** Authenticated but not allowed (HTTP 403). */
export class ForbiddenError extends DomainError {
  constructor(message = 'your role does not allow this') {
    super('forbidden', 403, message);
  }
}

/** Too many attempts (HTTP 429). */
export class RateLimitedError extends DomainError {
  readonly retryAfter: number;
  constructor(message: string, retryAfter: number) {
    super('rate_limited', 429, message);
    this.retryAfter = retryAfter;
  }
}

/** A remote system (router, PeeringDB, IRR, SMTP) failed (HTTP 502). */
export class UpstreamError extends DomainError {
  constructor(message: string, code = 'upstream_error') {
    super(code, 502, message);
  }
}
