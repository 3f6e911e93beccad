import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';

describe('redact', () => {
  it.each([
    [
      'https://prod-1.logic.azure.com/workflows/x/triggers/manual/paths/invoke?api-version=2016-06-01&sig=AbC123_-xyz',
      'https://prod-1.logic.azure.com/workflows/x/triggers/manual/paths/invoke?api-version=2016-06-01&sig=REDACTED',
    ],
    ['POST /api/reconcile?code=abcdef0123&dryRun=true', 'POST /api/reconcile?code=REDACTED&dryRun=true'],
    [
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFy==;EndpointSuffix=core.windows.net',
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=core.windows.net',
    ],
    ['authorization: Bearer eyJ0eXAiOiJKV1Qi.eyJhdWQiOiJo.sig-part', 'authorization: Bearer REDACTED'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    expect(redact('removed: MicrosoftDefenderForCloud-JITRule-1-ABC from /subscriptions/x')).toBe(
      'removed: MicrosoftDefenderForCloud-JITRule-1-ABC from /subscriptions/x',
    );
  });
});
