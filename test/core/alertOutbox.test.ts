import { describe, expect, it } from 'vitest';
import { teamsMessage } from '../support/teamsMessage.js';
import type { TeamsSender } from '../../src/adapters/teamsWebhook.js';
import { createMemoryOutbox, sendPendingAlerts } from '../../src/core/alertOutbox.js';

const message = teamsMessage;

describe('alert outbox', () => {
  it('two invocations flushing the same group at once send each alert once', async () => {
    const outbox = createMemoryOutbox();
    const sent: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowTeams: TeamsSender = {
      async send(m) {
        await gate;
        sent.push(JSON.stringify(m));
      },
    };
    await outbox.enqueue({ key: 'a', eventId: 'e1', message: message('a') });
    await outbox.enqueue({ key: 'b', eventId: 'e1', message: message('b') });
    const first = sendPendingAlerts('e1', outbox, slowTeams);
    const second = sendPendingAlerts('e1', outbox, slowTeams);
    release();
    expect(await Promise.all([first, second])).toEqual([2, 0]);
    expect(sent).toHaveLength(2);
  });

  it('a failed send gives the alert back; a later flush sends it; a key is enqueued once', async () => {
    const outbox = createMemoryOutbox();
    let fail = true;
    const sent: string[] = [];
    const teams: TeamsSender = {
      async send(m) {
        if (fail) throw new Error('Teams down');
        sent.push(JSON.stringify(m));
      },
    };
    await outbox.enqueue({ key: 'a', eventId: 'e1', message: message('a') });
    await expect(sendPendingAlerts('e1', outbox, teams)).rejects.toThrow('Teams down');
    fail = false;
    await outbox.enqueue({ key: 'a', eventId: 'e1', message: message('a again') });
    expect(await sendPendingAlerts('e1', outbox, teams)).toBe(1);
    expect(await sendPendingAlerts('e1', outbox, teams)).toBe(0);
    expect(sent).toEqual([JSON.stringify(message('a'))]);
  });

  it('evicts only sent alerts beyond its capacity', async () => {
    const outbox = createMemoryOutbox(2);
    const teams: TeamsSender = { send: async () => undefined };
    for (const key of ['a', 'b', 'c']) await outbox.enqueue({ key, eventId: key, message: message(key) });
    expect((await outbox.claimUnsent('a')).map((e) => e.key)).toEqual(['a']);
    await sendPendingAlerts('b', outbox, teams);
    await outbox.enqueue({ key: 'd', eventId: 'd', message: message('d') });
    expect((await outbox.claimUnsent('c')).map((e) => e.key)).toEqual(['c']);
  });
});
