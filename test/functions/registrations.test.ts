import { describe, expect, it } from 'vitest';
import { compileApp, registrationsOf } from '../support/hostRegistrations.js';

describe('the app as the Functions host sees it', () => {
  it('registers the Event Grid guard, with no app settings needed at load time', async () => {
    const view = await registrationsOf(await compileApp());
    expect(view.programmingModel).toMatchObject({ name: '@azure/functions' });
    const guard = view.functions.find((f) => f.name === 'guard');
    expect(Object.values(guard?.bindings ?? {})).toEqual([
      expect.objectContaining({ type: 'eventGridTrigger', direction: 'in' }),
    ]);
    expect(view.functions.map((f) => f.name)).toEqual(['guard']);
  });
});
