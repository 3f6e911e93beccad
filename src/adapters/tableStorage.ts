import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';

/** Where the guardrail keeps its tables: a connection string (local, Azurite) or an endpoint (managed identity). */
export type StorageTarget =
  | { readonly kind: 'connection-string'; readonly value: string }
  | { readonly kind: 'endpoint'; readonly url: string };

/** A table client that creates its table on first use. */
export interface LazyTable {
  client(): Promise<TableClient>;
  /** Forget the client after a failure, so the next use creates the table again if it is gone. */
  invalidate(): void;
}

export function lazyTable(target: StorageTarget, tableName: string, credential: TokenCredential): LazyTable {
  let ready: Promise<TableClient> | undefined;
  return {
    client() {
      ready ??= (async () => {
        // Bookkeeping must not hold a remediation up for long: few, short retries.
        const retryOptions = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 };
        const client =
          target.kind === 'connection-string'
            ? TableClient.fromConnectionString(target.value, tableName, {
                allowInsecureConnection: isLocal(target.value),
                retryOptions,
              })
            : new TableClient(target.url, tableName, credential, { retryOptions });
        await client.createTable();
        return client;
      })();
      // A failed creation (storage down) is tried again next time.
      ready.catch(() => (ready = undefined));
      return ready;
    },
    invalidate() {
      ready = undefined;
    },
  };
}

function isLocal(connectionString: string): boolean {
  return /UseDevelopmentStorage=true|https?:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(connectionString);
}

/** The HTTP status of a storage error, by shape (the SDK may bundle its own RestError). */
export function storageStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** 400 (PropertyValueTooLarge, InvalidInput …) and 413 fail the same way however often they are tried. */
export function isPermanentStorageError(error: unknown): boolean {
  return [400, 413].includes(storageStatus(error) ?? 0);
}

/** The first line of an error's message, for one-line logs. */
export function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}
