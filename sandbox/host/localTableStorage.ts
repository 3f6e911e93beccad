import { createRequire } from 'node:module';

/** The well-known Azurite development account (public; it only ever opens a local emulator). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The part of Azurite's Table server used here (the package ships no type declarations). */
interface AzuriteTableServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

type TableConfigurationClass = new (...args: unknown[]) => object;
type TableServerClass = new (config: object) => AzuriteTableServer;

/**
 * Azurite's Table service in this process, in memory, on a loopback port: it stops with the sandbox,
 * keeps nothing on disk, and sends no telemetry (only Azurite's own command line turns that on).
 */
export class LocalTableStorage {
  private server: AzuriteTableServer | undefined;
  private address = '';

  get connectionString(): string {
    if (!this.server) throw new Error('the local Table Storage is not started');
    return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=${this.address}/${ACCOUNT};`;
  }

  async start(port = 0): Promise<this> {
    if (this.server) return this;
    const { TableServer, TableConfiguration } = loadAzurite();
    // Positional, as Azurite's own main passes them: host, port, keep-alive, db path (unused in
    // memory), debug log, access log, log stream, debug file, loose, skip API version check, cert,
    // key, pwd, oauth, no product-style URLs, in-memory persistence.
    const config = new TableConfiguration(
      '127.0.0.1',
      port,
      undefined,
      'in-memory',
      false,
      false,
      undefined,
      undefined,
      false,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
    );
    const server = new TableServer(config);
    await server.start();
    this.server = server;
    this.address = server.getHttpServerAddress();
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await server.close();
  }
}

function loadAzurite(): { TableServer: TableServerClass; TableConfiguration: TableConfigurationClass } {
  const require = createRequire(import.meta.url);
  try {
    return {
      TableServer: (require('azurite/dist/src/table/TableServer') as { default: TableServerClass }).default,
      TableConfiguration: (
        require('azurite/dist/src/table/TableConfiguration') as { default: TableConfigurationClass }
      ).default,
    };
  } catch {
    throw new Error(
      '--storage azurite needs the azurite dev dependency: run npm install, then npm start again',
    );
  }
}
