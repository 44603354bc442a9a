// Error classes of the template engine: syntax errors carry line and column, runtime errors the line.

/** Base class of every error the template engine throws. */
export class TemplateError extends Error {
  templateName: string | undefined;
  line: number | undefined;
  constructor(message: string, templateName?: string, line?: number) {
    super(message);
    this.name = 'TemplateError';
    this.templateName = templateName;
    this.line = line;
  }
}

/** A template that cannot be tokenised or parsed. */
export class TemplateSyntaxError extends TemplateError {
  column: number;
  constructor(message: string, line: number, column: number, templateName?: string) {
    super(`${message} (${templateName ?? '<template>'}, line ${line}, column ${column})`, templateName, line);
    this.name = 'TemplateSyntaxError';
    this.column = column;
    this.rawMessage = message;
  }
  rawMessage: string;
}

/** A failure while rendering: type errors, bad calls, security violations. */
export class TemplateRuntimeError extends TemplateError {
  constructor(message: string, templateName?: string, line?: number) {
    super(message, templateName, line);
    this.name = 'TemplateRuntimeError';
  }
}

/** Use of an undefined value where Jinja2 raises UndefinedError. */
export class UndefinedError extends TemplateRuntimeError {
  constructor(message: string) {
    super(message);
    this.name = 'UndefinedError';
  }
}

/** A template asked for something the sandbox forbids, or exceeded a render limit. */
export class SecurityError extends TemplateRuntimeError {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityError';
  }
}

/** A template name the loader does not know. */
export class TemplateNotFound extends TemplateError {
  constructor(name: string) {
    super(`template not found: ${name}`, name);
    this.name = 'TemplateNotFound';
  }
}

/** A render that exceeded its memory budget (a too-large string or sequence, or too much allocation). */
export class BudgetError extends SecurityError {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetError';
  }
}
