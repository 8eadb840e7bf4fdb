/**
 * Writes in doubt. A DynamoDB write that was in flight when the local cloud died may or may not
 * have been applied: DynamoDB Local is a separate process and finishes what it was sent. The
 * resumed task sends it again; a conditional write that had been applied then fails its own
 * condition, which would fail the workflow over a step that in fact succeeded. So when such a
 * re-sent write fails its condition, this module looks whether the first one's effect is there:
 *
 * - PutItem: the item is stored exactly as written;
 * - UpdateItem: every plain `SET name = :value` holds and every `REMOVE name` is gone (at least one
 *   such clause; arithmetic and functions such as `list_append` cannot be checked and are skipped);
 * - DeleteItem: the item is gone;
 * - TransactWriteItems: one of its writes shows its effect, by the rules above (a transaction is
 *   all or nothing).
 *
 * A write asking for ReturnValues is not judged: its first result cannot be given back.
 */
import type { SdkClient } from './tasks.js';

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;

export interface DynamoDbService {
  client: SdkClient;
  commands: Record<string, unknown>;
}

type Effect = 'applied' | 'absent' | 'unknown';

/** Whether `action` with `parameters` (DynamoDB JSON, as a task sends it) has visibly been applied. */
export async function writeAlreadyApplied(dynamodb: DynamoDbService, action: string, parameters: unknown): Promise<boolean> {
  const input = (parameters ?? {}) as Record<string, unknown>;
  if (action !== 'transactWriteItems' && input.ReturnValues !== undefined && input.ReturnValues !== 'NONE') return false;
  const judge = new EffectJudge(dynamodb);
  switch (action) {
    case 'putItem':
      return (await judge.put(input)) === 'applied';
    case 'updateItem':
      return (await judge.update(input)) === 'applied';
    case 'deleteItem':
      return (await judge.delete(input)) === 'applied';
    case 'transactWriteItems': {
      for (const write of (input.TransactItems as Record<string, Record<string, unknown>>[] | undefined) ?? []) {
        const effect = write.Put
          ? await judge.put(write.Put)
          : write.Update
            ? await judge.update(write.Update)
            : write.Delete
              ? await judge.delete(write.Delete)
              : 'unknown';
        if (effect === 'applied') return true;
      }
      return false;
    }
    default:
      return false;
  }
}

/** Whether an error a task reported is a write refused by its condition (alone, or in a transaction). */
export function isConditionFailure(errorName: string): boolean {
  return /\.(ConditionalCheckFailedException|TransactionCanceledException)$/.test(errorName);
}

class EffectJudge {
  private readonly keyNames = new Map<string, Promise<string[]>>();

  constructor(private readonly dynamodb: DynamoDbService) {}

  private command(name: string, input: unknown): unknown {
    const Command = this.dynamodb.commands[name] as new (input: unknown) => unknown;
    return new Command(input);
  }

  private async current(tableName: unknown, key: unknown): Promise<Item | undefined> {
    const output = await this.dynamodb.client.send(
      this.command('GetItemCommand', { TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item as Item | undefined;
  }

  private keyOf(tableName: string, item: Item): Promise<Item> {
    let names = this.keyNames.get(tableName);
    if (!names) {
      names = this.dynamodb.client
        .send(this.command('DescribeTableCommand', { TableName: tableName }))
        .then((output) => ((output.Table as { KeySchema?: { AttributeName: string }[] }).KeySchema ?? []).map((key) => key.AttributeName));
      this.keyNames.set(tableName, names);
    }
    return names.then((keyNames) => Object.fromEntries(keyNames.map((name) => [name, item[name] as AttributeValue])));
  }

  async put(input: Record<string, unknown>): Promise<Effect> {
    const item = input.Item as Item;
    const stored = await this.current(input.TableName, await this.keyOf(String(input.TableName), item));
    return stored && sameItem(stored, item) ? 'applied' : 'absent';
  }

  async delete(input: Record<string, unknown>): Promise<Effect> {
    return (await this.current(input.TableName, input.Key)) ? 'absent' : 'applied';
  }

  async update(input: Record<string, unknown>): Promise<Effect> {
    const effects = plainEffects(
      String(input.UpdateExpression ?? ''),
      (input.ExpressionAttributeNames ?? {}) as Record<string, string>,
      (input.ExpressionAttributeValues ?? {}) as Item,
    );
    if (!effects.length) return 'unknown';
    const stored = (await this.current(input.TableName, input.Key)) ?? {};
    const holds = effects.every(({ name, value }) =>
      value === undefined ? stored[name] === undefined : stored[name] !== undefined && sameValue(stored[name], value),
    );
    return holds ? 'applied' : 'absent';
  }
}

/**
 * The checkable effects of an UpdateExpression: `SET name = :value` (the attribute then holds the
 * value) and `REMOVE name` (value undefined: the attribute is gone), for top-level attributes only.
 */
export function plainEffects(expression: string, names: Record<string, string>, values: Item): { name: string; value?: AttributeValue }[] {
  const effects: { name: string; value?: AttributeValue }[] = [];
  const resolve = (token: string) => (token.startsWith('#') ? names[token] : token);
  // Keywords are reserved words, so an attribute or placeholder never reads as one unescaped.
  const sections = /(?:^|\s)(SET|REMOVE|ADD|DELETE)\s([\s\S]*?)(?=\s(?:SET|REMOVE|ADD|DELETE)\s|$)/gi;
  for (const [, keyword = '', body = ''] of expression.matchAll(sections)) {
    for (const clause of splitTopLevel(body)) {
      if (keyword.toUpperCase() === 'SET') {
        const match = /^\s*(#?\w+)\s*=\s*(:\w+)\s*$/.exec(clause);
        const name = match && resolve(match[1] as string);
        const value = match && values[match[2] as string];
        if (name && value) effects.push({ name, value });
      } else if (keyword.toUpperCase() === 'REMOVE') {
        const match = /^\s*(#?\w+)\s*$/.exec(clause);
        const name = match && resolve(match[1] as string);
        if (name) effects.push({ name });
      }
    }
  }
  return effects;
}

/** Splits at commas outside parentheses: `a = :a, b = list_append(b, :c)` → two clauses. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '(') depth++;
    else if (body[i] === ')') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts.filter((part) => part.trim());
}

function sameItem(a: Item, b: Item): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] !== undefined && sameValue(a[key] as AttributeValue, b[key]));
}

const bytes = (value: unknown) => Buffer.from(value as string | Uint8Array).toString('base64');

/** DynamoDB's equality of two AttributeValues: numbers by value, sets in any order. */
export function sameValue(a: AttributeValue, b: AttributeValue): boolean {
  const [typeA] = Object.keys(a).filter((key) => a[key] !== undefined);
  const [typeB] = Object.keys(b).filter((key) => b[key] !== undefined);
  if (!typeA || typeA !== typeB) return false;
  const [x, y] = [a[typeA], b[typeB]];
  switch (typeA) {
    case 'N':
      return Number(x) === Number(y);
    case 'B':
      return bytes(x) === bytes(y);
    case 'SS':
    case 'NS':
    case 'BS': {
      const normalize = (set: unknown) =>
        (set as unknown[])
          .map((member) => (typeA === 'NS' ? String(Number(member)) : typeA === 'BS' ? bytes(member) : String(member)))
          .sort();
      return JSON.stringify(normalize(x)) === JSON.stringify(normalize(y));
    }
    case 'L': {
      const [listA, listB] = [x as AttributeValue[], y as AttributeValue[]];
      return listA.length === listB.length && listA.every((item, i) => sameValue(item, listB[i] as AttributeValue));
    }
    case 'M':
      return sameItem(x as Item, y as Item);
    default:
      return x === y;
  }
}
