import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS_TEST_MODE_WARNING, isFunctionsTestModeWarning } from '../support/quietFunctionsRuntime.js';

describe('quiet tests: the Functions runtime-detection warning, and only it, is dropped', () => {
  it('matches the text @azure/functions really prints outside the host (so a new wording shows up here)', () => {
    const child = spawnSync(
      process.execPath,
      ['-e', "require('@azure/functions').app.timer('t', { schedule: '0 0 * * * *', handler: () => {} })"],
      { encoding: 'utf8', timeout: 20_000 },
    );
    const printed = child.stderr.split('\n').find((line) => line.startsWith('WARNING: Failed to detect'));
    expect(printed, child.stderr).toBeDefined();
    expect(isFunctionsTestModeWarning([printed!])).toBe(true);
    expect(printed!.startsWith(FUNCTIONS_TEST_MODE_WARNING)).toBe(true);
  });

  it('lets every other warning through', () => {
    expect(isFunctionsTestModeWarning(['WARNING: Skipping call to register function "t"'])).toBe(false);
    expect(isFunctionsTestModeWarning([FUNCTIONS_TEST_MODE_WARNING, 'and more'])).toBe(false);
    expect(isFunctionsTestModeWarning(['the guardrail lacks permission'])).toBe(false);
    expect(isFunctionsTestModeWarning([new Error(FUNCTIONS_TEST_MODE_WARNING)])).toBe(false);
  });
});
