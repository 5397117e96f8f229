/**
 * `${{ }}` templates and `if:` conditions, evaluated by GitHub's own expression engine
 * (@actions/expressions): operators, coercion, case-insensitive contexts, format/fromJSON/toJSON/
 * contains/startsWith/join. The job status functions (success, failure, always, cancelled) are
 * supplied here, from the status of the job (or composite action) so far.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';

/** Plain JSON-like values the contexts are made of. */
export type ContextValue =
  | string
  | number
  | boolean
  | null
  | readonly ContextValue[]
  | { readonly [key: string]: ContextValue };

/** Context name -> value, e.g. `{ inputs: {...}, steps: {...} }`. */
export type Contexts = Readonly<Record<string, ContextValue>>;

/**
 * What the status functions answer: the job (or composite action) status so far; for a job's own
 * `if:`, `skipped` when a needed job was skipped (then neither success() nor failure() holds).
 */
export type JobStatus = 'success' | 'failure' | 'cancelled' | 'skipped';

const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const;
const STATUS_CALL = /\b(success|failure|always|cancelled)\s*\(/i;
const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/** The expression of a text that is one `${{ }}` and nothing else; undefined otherwise. */
export function singleExpression(text: string): string | undefined {
  const match = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  const inner = match?.[1];
  return inner === undefined || inner.includes('}}') ? undefined : inner;
}

export class ExpressionFailure extends Error {}

function toData(value: ContextValue): data.ExpressionData {
  if (value === null) return new data.Null();
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) {
    return new data.Array(...(value as readonly ContextValue[]).map((item) => toData(item)));
  }
  const entries = Object.entries(value as Record<string, ContextValue>);
  return new data.Dictionary(...entries.map(([key, item]) => ({ key, value: toData(item) })));
}

/** Back to plain values (for a matrix from `fromJSON`, or a job output). */
export function toPlain(value: data.ExpressionData): ContextValue {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
      return value.coerceString();
    case data.Kind.Number:
      return value.number();
    case data.Kind.Boolean:
      return value.coerceString() === 'true';
    case data.Kind.Array:
      return value.values().map((item) => toPlain(item));
    default: {
      const result: Record<string, ContextValue> = {};
      for (const pair of value.pairs()) result[pair.key] = toPlain(pair.value);
      return result;
    }
  }
}

/** How the runner turns a value into text: `true`, `3`, '' for null, `Object`/`Array` for the rest. */
export function toText(value: data.ExpressionData): string {
  return value.kind === data.Kind.Null ? '' : value.coerceString();
}

export function isTruthy(value: data.ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return value.coerceString() === 'true';
    case data.Kind.Number:
      return value.number() !== 0 && !Number.isNaN(value.number());
    case data.Kind.String:
      return value.coerceString() !== '';
    default:
      return true;
  }
}

function statusFunctions(
  status: JobStatus,
): Map<
  string,
  { name: string; minArgs: number; maxArgs: number; call: () => data.ExpressionData }
> {
  const answers: Record<(typeof STATUS_FUNCTIONS)[number], boolean> = {
    success: status === 'success',
    failure: status === 'failure',
    always: true,
    cancelled: status === 'cancelled',
  };
  return new Map(
    STATUS_FUNCTIONS.map((name) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(answers[name]) },
    ]),
  );
}

/** Evaluates one expression (the text between `${{` and `}}`). */
export function evaluate(
  expression: string,
  contexts: Contexts,
  status: JobStatus = 'success',
): data.ExpressionData {
  const functions = statusFunctions(status);
  try {
    const tokens = new Lexer(expression).lex().tokens;
    const ast = new Parser(tokens, Object.keys(contexts), [...functions.values()]).parse();
    return new Evaluator(ast, toData(contexts) as data.Dictionary, functions).evaluate();
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ExpressionFailure(`\${{ ${expression.trim()} }}: ${reason}`);
  }
}

/**
 * A `with:`/`env:`/`run:` value: one whole `${{ }}` keeps its type (a boolean, an object from
 * fromJSON); text with expressions inside becomes a string; anything else stays as written.
 */
export function evaluateTemplate(template: string, contexts: Contexts): data.ExpressionData {
  const whole = singleExpression(template);
  if (whole !== undefined) return evaluate(whole, contexts);
  if (!template.includes('${{')) return new data.StringData(template);
  return new data.StringData(
    template.replace(TEMPLATE, (_match, expression: string) =>
      toText(evaluate(expression, contexts)),
    ),
  );
}

export const templateText = (template: string, contexts: Contexts): string =>
  toText(evaluateTemplate(template, contexts));

/**
 * An `if:` (with or without `${{ }}`): without a status function it means `success() && (...)`,
 * as on GitHub, so a step after a failure is skipped unless it asks for `always()` or `failure()`.
 */
export function evaluateCondition(
  condition: string | boolean | undefined,
  contexts: Contexts,
  status: JobStatus,
): boolean {
  if (condition === undefined) return status === 'success';
  const text = String(condition).trim();
  let expression = (singleExpression(text) ?? text).trim();
  if (expression === '') return status === 'success';
  if (!STATUS_CALL.test(expression)) expression = `success() && (${expression})`;
  return isTruthy(evaluate(expression, contexts, status));
}
