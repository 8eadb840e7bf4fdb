import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Requests and items by DynamoDB operation, as seen between the functions and DynamoDB Local. */
export interface DynamoDbUsage {
  requests: Record<string, number>;
  /** Items written (a transaction counts each of its items; DynamoDB bills them twice). */
  itemsWritten: number;
  transactionalItemsWritten: number;
  itemsRead: number;
  consistentItemsRead: number;
}

/** Sends a request read from `incoming` on to `target` unchanged, and its answer back. */
export function forwardRequest(target: URL, incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse): void {
  const forward = httpRequest(
    { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
    (response) => {
      outgoing.writeHead(response.statusCode ?? 500, response.headers);
      // An answer cut short upstream cuts the client's short too (pipe alone would leave it waiting for ever).
      response.on('error', (error) => outgoing.destroy(error));
      response.on('aborted', () => outgoing.destroy());
      response.pipe(outgoing);
    },
  );
  forward.on('error', (error) => outgoing.destroy(error));
  // A client that gave up (the SDK's own timeout, a function that timed out) frees the request upstream.
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) forward.destroy();
  });
  forward.end(body);
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem']);

/**
 * A counting proxy in front of DynamoDB Local, for benchmarks: it forwards every request unchanged and
 * tallies operations and items, so cost per order is measured rather than estimated from the code.
 */
export class DynamoDbMeter {
  private server: Server | undefined;
  usage: DynamoDbUsage = DynamoDbMeter.empty();

  constructor(private readonly target: string) {}

  static empty(): DynamoDbUsage {
    return { requests: {}, itemsWritten: 0, transactionalItemsWritten: 0, itemsRead: 0, consistentItemsRead: 0 };
  }

  reset(): DynamoDbUsage {
    const usage = this.usage;
    this.usage = DynamoDbMeter.empty();
    return usage;
  }

  private tally(operation: string, body: Record<string, unknown>): void {
    const usage = this.usage;
    usage.requests[operation] = (usage.requests[operation] ?? 0) + 1;
    if (WRITES.has(operation)) usage.itemsWritten++;
    if (READS.has(operation)) {
      usage.itemsRead++;
      if (body.ConsistentRead) usage.consistentItemsRead++;
    }
    if (operation === 'TransactWriteItems') {
      const items = (body.TransactItems as unknown[] | undefined)?.length ?? 0;
      usage.itemsWritten += items;
      usage.transactionalItemsWritten += items;
    }
    if (operation === 'BatchGetItem') {
      const tables = Object.values((body.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>);
      usage.itemsRead += tables.reduce((sum, table) => sum + (table.Keys?.length ?? 0), 0);
    }
  }

  async listen(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer(async (incoming, outgoing) => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      try {
        this.tally(operation, JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>);
      } catch {
        this.tally(operation, {});
      }
      forwardRequest(target, incoming, body, outgoing);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
