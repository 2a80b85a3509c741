import { Token, Tokenization } from 'aws-cdk-lib';
import type { CustomActionProperty } from 'aws-cdk-lib/aws-codepipeline';
import { closest } from './did-you-mean.js';
import type { SettingProblem } from './setting-problem.js';

/** The length CodePipeline accepts for each URL of an action type's settings. */
export const URL_TEMPLATE_LENGTH = { min: 1, max: 2048 } as const;

/** The links of an action type the worker's props may set, by prop name. */
export interface UrlTemplates {
  readonly entityUrlTemplate?: string;
  readonly executionUrlTemplate?: string;
}

// Stands for a deploy-time value (a token) in the literal text of a template.
const TOKEN = '\u0000';
const PLACEHOLDER = /\{([^{}]*)\}/g;
const CONFIG_PREFIX = 'Config:';
const EXECUTION_ID = 'ExternalExecutionId';

/**
 * What CodePipeline (or the console that renders the links) would make of each template
 * that the worker cannot: a length outside 1-2048, a link that is not https, a `{Config:X}`
 * naming no required, non-secret configuration property, `{ExternalExecutionId}` outside
 * the execution link, an unknown placeholder. Deploy-time values (tokens) are skipped: only
 * the literal text is checked, and the length only as far as that text goes.
 *
 * @param templates - the templates, by prop name
 * @param properties - the action type's configuration properties
 */
export function urlTemplateProblems(
  templates: UrlTemplates,
  properties: readonly CustomActionProperty[],
): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const [setting, template] of Object.entries(templates)) {
    if (template === undefined) continue;
    const literal = literalText(template);
    const problem = (text: string) => problems.push({ setting, problem: text });
    const literalLength = literal.replaceAll(TOKEN, '').length;
    const { min, max } = URL_TEMPLATE_LENGTH;
    if (literalLength > max || (literal === template && literalLength < min)) {
      problem(`must be ${min}-${max} characters (got ${literalLength})`);
    }
    if (literal.length > 0 && !literal.startsWith(TOKEN) && !/^https:\/\//i.test(literal)) {
      problem(`must be an https:// link (got '${abbreviated(literal)}')`);
    }
    for (const [, inner = ''] of literal.matchAll(PLACEHOLDER)) {
      const text = placeholderProblem(inner, setting, properties);
      if (text) problem(text);
    }
  }
  return problems;
}

function placeholderProblem(
  inner: string,
  setting: string,
  properties: readonly CustomActionProperty[],
): string | undefined {
  if (inner === EXECUTION_ID) {
    return setting === 'executionUrlTemplate'
      ? undefined
      : `uses {${EXECUTION_ID}}, which CodePipeline fills in only in executionUrlTemplate`;
  }
  if (!inner.startsWith(CONFIG_PREFIX)) {
    return `has an unknown placeholder {${inner}}: use {Config:Name} (a configuration property) or {${EXECUTION_ID}}`;
  }
  const name = inner.slice(CONFIG_PREFIX.length);
  const property = properties.find((p) => p.name === name);
  if (property === undefined) {
    const usable = properties.filter((p) => p.required && !p.secret).map((p) => p.name);
    const guess = closest(name, usable);
    const hint = guess
      ? `: did you mean {Config:${guess}}?`
      : usable.length > 0
        ? ` (usable: ${usable.join(', ')})`
        : ' (no configuration property is usable)';
    return `uses {Config:${name}}, but the action type declares no property '${name}'${hint}`;
  }
  if (!property.required || property.secret) {
    return `uses {Config:${name}}, but CodePipeline fills in only properties that are required and not secret`;
  }
  return undefined;
}

/** The template with every token replaced by {@link TOKEN}. */
function literalText(template: string): string {
  if (!Token.isUnresolved(template)) return template;
  return Tokenization.reverseString(template)
    .mapTokens({ mapToken: () => TOKEN })
    .join({ join: (left: unknown, right: unknown) => `${left}${right}` }) as string;
}

function abbreviated(text: string): string {
  const shown = text.replaceAll(TOKEN, '<token>');
  return shown.length > 60 ? `${shown.slice(0, 60)}...` : shown;
}
