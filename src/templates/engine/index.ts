// Public API of the Jinja2-compatible template engine.
import { Environment, Template, type EnvironmentOptions } from './environment.ts';

export { Environment, Template };
export type { EnvironmentOptions, FilterEnv, FilterLike, TemplateLoader } from './environment.ts';
export type { CallableSpec } from './compiler.ts';
export {
  TemplateError,
  TemplateSyntaxError,
  TemplateRuntimeError,
  UndefinedError,
  SecurityError,
  BudgetError,
  TemplateNotFound,
} from './errors.ts';
export {
  Undefined,
  StrictUndefined,
  PyFloat,
  mkFloat,
  mkTuple,
  pyStr,
  pyRepr,
  truthy,
  isDict,
  dictEntries,
  dictGet,
  dictKeys,
} from './values.ts';
export { iterate } from './methods.ts';
export { attrGetter, pyJsonDumps, pyLen } from './filters.ts';

/** Compiles template source with a one-off environment built from the options. */
export function compileTemplate(source: string, options: EnvironmentOptions = {}): Template {
  return new Environment(options).fromString(source);
}

/** Renders template source against a context in one call. */
export function renderString(
  source: string,
  context: Record<string, unknown> = {},
  options: EnvironmentOptions = {},
): string {
  return compileTemplate(source, options).render(context);
}
