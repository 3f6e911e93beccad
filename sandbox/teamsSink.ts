import { listenOnLoopback, type LoopbackServer } from './loopbackServer.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface ReceivedCard {
  readonly receivedAt: string;
  readonly body: unknown;
}

export type SinkAnswer = { readonly status: number; readonly retryAfter?: string } | { readonly hang: true };

/**
 * A stand-in for a Teams Workflows webhook on 127.0.0.1: answers 202 like Workflows, keeps every
 * accepted card, and can be told to answer otherwise (429, 500, or never) for the next requests.
 */
export class TeamsSink {
  readonly cards: ReceivedCard[] = [];
  /** Every request, accepted or not. */
  attempts = 0;
  private readonly script: SinkAnswer[] = [];
  private server: LoopbackServer | undefined;
  private readonly listeners = new Set<(card: ReceivedCard) => void>();

  /** Path of the webhook; a real one carries a signature in its query, so ours does too. */
  readonly path = '/workflows/jit-guardrail/triggers/manual/paths/invoke?sig=local-test-signature';

  get url(): string {
    const address = this.server;
    if (!address) throw new Error('the Teams sink is not started');
    return `http://127.0.0.1:${address.port}${this.path}`;
  }

  /** The next requests get these answers, in order, instead of 202. */
  answerNext(...answers: SinkAnswer[]): void {
    this.script.push(...answers);
  }

  /** Forgets scripted answers not used yet: Teams is back to normal. */
  clearAnswers(): void {
    this.script.length = 0;
  }

  onCard(listener: (card: ReceivedCard) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(port = 0): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = await listenOnLoopback(server, port);
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.attempts += 1;
    const scripted = this.script.shift();
    if (scripted && 'hang' in scripted) return; // never answer; the client's timeout must end it
    if (scripted) {
      res.writeHead(
        scripted.status,
        scripted.retryAfter !== undefined ? { 'Retry-After': scripted.retryAfter } : {},
      );
      res.end();
      return;
    }
    if (req.method !== 'POST' || req.url !== this.path) {
      res.writeHead(404).end();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const card = { receivedAt: new Date().toISOString(), body };
    this.cards.push(card);
    for (const listener of this.listeners) listener(card);
    res.writeHead(202).end();
  }
}
