import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/runCliCaptured.js';

describe('jit-guardrail demo', () => {
  it('runs the whole story offline and exits 0 with every step held', async () => {
    const run = await runCliCaptured(['demo']);
    expect(run.stdout).toContain('5/5 steps held');
    expect(run.stdout).not.toContain('✘');
    expect(run.code).toBe(0);
  });
});
