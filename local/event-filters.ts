/**
 * Lambda's event filtering (FilterCriteria) for stream records: the pattern language the template
 * carries as JSON strings. A record is delivered when any one filter matches it. Within a pattern,
 * every key must match; an object descends into the record, an array lists what the record's value
 * may be (exact values, or matchers: `prefix`, `suffix`, `equals-ignore-case`, `anything-but`,
 * `exists`, `numeric`). A record's array value matches when one of its elements does.
 */
export type FilterPattern = { [key: string]: FilterPattern | unknown[] };

export class FilterPatternError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FilterPatternError';
  }
}

/** Parses the template's `FilterCriteria.Filters[].Pattern` strings; a pattern that is not an object of objects and arrays is an error. */
export function parseFilterPatterns(criteria: unknown): FilterPattern[] {
  const filters = (criteria as { Filters?: { Pattern?: unknown }[] } | undefined)?.Filters ?? [];
  return filters.map(({ Pattern }) => {
    let pattern: unknown;
    try {
      pattern = typeof Pattern === 'string' ? JSON.parse(Pattern) : Pattern;
    } catch (error) {
      throw new FilterPatternError(`A filter pattern is not JSON: ${String(Pattern)}`, { cause: error });
    }
    assertPattern(pattern, 'pattern');
    return pattern as FilterPattern;
  });
}

function assertPattern(pattern: unknown, where: string): void {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new FilterPatternError(`A filter pattern's ${where} must be an object, not ${JSON.stringify(pattern)}`);
  }
  for (const [key, value] of Object.entries(pattern)) {
    if (!Array.isArray(value)) assertPattern(value, `${where}.${key}`);
  }
}

/** Whether the record passes the filters: no filters pass everything, otherwise any one must match. */
export function passesFilters(record: unknown, patterns: FilterPattern[]): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matchesPattern(record, pattern));
}

export function matchesPattern(value: unknown, pattern: FilterPattern): boolean {
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return Object.entries(pattern).every(([key, expected]) => {
    const present = Object.hasOwn(object, key);
    const actual = object[key];
    if (Array.isArray(expected)) return matchesAny(present, actual, expected);
    return present && matchesPattern(actual, expected);
  });
}

function matchesAny(present: boolean, actual: unknown, allowed: unknown[]): boolean {
  return allowed.some((rule) => {
    if (isMatcher(rule, 'exists')) return rule.exists === present;
    if (!present) return false;
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((one) => matchesRule(one, rule));
  });
}

function isMatcher<K extends string>(rule: unknown, name: K): rule is Record<K, unknown> {
  return rule !== null && typeof rule === 'object' && !Array.isArray(rule) && Object.hasOwn(rule, name);
}

function matchesRule(value: unknown, rule: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return value === rule;
  if (isMatcher(rule, 'prefix')) return matchesText(value, rule.prefix, (text, part) => text.startsWith(part));
  if (isMatcher(rule, 'suffix')) return matchesText(value, rule.suffix, (text, part) => text.endsWith(part));
  if (isMatcher(rule, 'equals-ignore-case')) {
    return matchesText(value, rule['equals-ignore-case'], (text, part) => text.toLowerCase() === part.toLowerCase());
  }
  if (isMatcher(rule, 'anything-but')) return !matchesAnythingBut(value, rule['anything-but']);
  if (isMatcher(rule, 'numeric')) return matchesNumeric(value, rule.numeric);
  throw new FilterPatternError(`Unknown filter rule ${JSON.stringify(rule)}`);
}

function matchesText(value: unknown, part: unknown, test: (text: string, part: string) => boolean): boolean {
  return typeof value === 'string' && typeof part === 'string' && test(value, part);
}

/** True when the value is one of what `anything-but` excludes (a value, a list of values, or a `prefix`/`suffix`). */
function matchesAnythingBut(value: unknown, excluded: unknown): boolean {
  if (Array.isArray(excluded)) return excluded.some((one) => value === one);
  if (isMatcher(excluded, 'prefix')) return matchesText(value, excluded.prefix, (text, part) => text.startsWith(part));
  if (isMatcher(excluded, 'suffix')) return matchesText(value, excluded.suffix, (text, part) => text.endsWith(part));
  return value === excluded;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** `numeric: [">", 0, "<=", 5]`; DynamoDB's N values are strings and compare as numbers. */
function matchesNumeric(value: unknown, conditions: unknown): boolean {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Array.isArray(conditions) || Number.isNaN(number)) return false;
  for (let i = 0; i < conditions.length; i += 2) {
    const compare = COMPARE[String(conditions[i])];
    if (!compare) throw new FilterPatternError(`Unknown numeric operator ${JSON.stringify(conditions[i])}`);
    if (!compare(number, Number(conditions[i + 1]))) return false;
  }
  return true;
}
