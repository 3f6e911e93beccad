import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardGallery, type GalleryCard } from '../../../sandbox/cardGallery.js';
import { TEAMS_MAX_BODY_BYTES } from '../../../src/lib/alerts/adaptiveCard.js';
import {
  cardProblems,
  chromiumAvailable,
  chromiumMissingMessage,
  startCardRenderer,
  type CardRenderer,
  type CardTheme,
  type CardWidth,
} from '../../support/cardRenderer.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

// Without Chromium the rendered checks are skipped on a developer's machine and fail in CI.
const skip = !chromiumAvailable() && !process.env.CI;
if (skip) console.warn(`renderedCards.test.ts skipped: ${chromiumMissingMessage()}. CI fails instead.`);

/** Switched on after the card redesign (issue 12): until then the strict checks are todos. */
const STRICT_CHECKS = true;

const gallery = cardGallery();
const VARIANTS: { width: CardWidth; theme: CardTheme }[] = [
  { width: 500, theme: 'light' },
  { width: 320, theme: 'light' },
  { width: 500, theme: 'dark' },
];

describe.skipIf(skip)("every card in Microsoft's renderer with the Teams host configs (Chromium)", () => {
  let renderer: CardRenderer | undefined;
  beforeAll(async () => {
    renderer = await startCardRenderer();
  }, 60_000);
  afterAll(async () => {
    await renderer?.close();
  });
  const render = (card: object, variant: { width: CardWidth; theme: CardTheme }) => {
    if (renderer === undefined) throw new Error('the card renderer did not start');
    return renderer.render(card, variant);
  };

  it('the gallery holds every card kind once', () => {
    const kinds = gallery.map((card) => card.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.length).toBeGreaterThanOrEqual(6);
  });

  it.each(gallery.map((card) => [card.kind, card] as const))(
    '%s: a Teams POST body within 28 KB that renders with no renderer warning and shows text',
    async (_kind, { payload }) => {
      expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(TEAMS_MAX_BODY_BYTES);
      for (const variant of VARIANTS) {
        const rendered = await render(payload, variant);
        const at = `${variant.width} px ${variant.theme}`;
        expect(rendered.warnings, at).toEqual([]);
        expect(rendered.text.trim(), at).not.toBe('');
        expect(rendered.heightPx, at).toBeGreaterThan(0);
      }
    },
  );

  it('the harness has teeth: a lone * in a Fact is an empty bullet, a 200-character token overflows at 320 px', async () => {
    const token = 'MicrosoftDefenderForCloud-JITRule-'.padEnd(200, '8C18BF8921F041989344B4F1E3A0C370');
    const bad = {
      type: 'AdaptiveCard',
      version: '1.5',
      msteams: { width: 'Full' },
      body: [
        { type: 'TextBlock', text: 'JIT guardrail removed a rule on web-01-nsg', wrap: true },
        {
          type: 'FactSet',
          facts: [
            { title: 'VM', value: 'web-01' },
            { title: 'Source', value: '*' },
            { title: 'Rule', value: token },
          ],
        },
      ],
    };
    const rendered = await render(bad, { width: 320, theme: 'light' });
    expect(rendered.notes.join()).toContain('msteams');
    expect(rendered.warnings).toEqual([]);
    expect(rendered.markdownLists).toEqual([{ text: '', within: 'the fact "Source"' }]);
    expect(rendered.overflows.some((o) => o.text.includes(token.slice(0, 60)))).toBe(true);
    expect(await rendered.textOf('.ac-fact-title')).toEqual(['VM', 'Source', 'Rule']);
    const problems = cardProblems(rendered, ['web-01', '*']);
    expect(problems).toEqual(
      expect.arrayContaining([
        'markdown made an empty bullet of a lone list marker in the fact "Source"',
        'not visible as text at 320 px light: "*"',
        'bare markdown list marker in Fact value text "*"',
        expect.stringMatching(
          /^overflow at 320 px light: <\w+> (clipped|beyond) by \d+ px: "MicrosoftDefender/,
        ),
      ]),
    );
    const png = await rendered.png();
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('and no false alarm: a TextRun keeps its * and list-like lines as written', async () => {
    const good = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        {
          type: 'RichTextBlock',
          inlines: [
            { type: 'TextRun', text: 'Source: ', weight: 'Bolder' },
            { type: 'TextRun', text: '*' },
          ],
        },
        { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: '- not a list **nor bold**' }] },
      ],
    };
    const rendered = await render(good, { width: 320, theme: 'dark' });
    expect(cardProblems(rendered, ['Source: *', '- not a list **nor bold**'])).toEqual([]);
  });

  it('npm run cards writes every kind as JSON and as PNGs, light and dark, 500 and 320 px', () => {
    const out = mkdtempSync(join(tmpdir(), 'cards-'));
    try {
      const printed = execFileSync(process.execPath, [join(ROOT, 'scripts/cards.mjs'), '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const files = readdirSync(out);
      for (const { kind, payload } of gallery) {
        expect(JSON.parse(readFileSync(join(out, `${kind}.json`), 'utf8'))).toEqual(payload);
        for (const name of ['light-500', 'light-320', 'dark-500', 'dark-320'])
          expect(files).toContain(`${kind}-${name}.png`);
        expect(printed).toMatch(new RegExp(`^${kind} +\\d+\\.\\d KB .*height \\d+/\\d+ px`, 'm'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 150_000);
});

/** What an on-call engineer needs, at phone width: every key value readable, nothing cut, no markdown. */
async function expectReadable(renderer: CardRenderer, card: GalleryCard): Promise<void> {
  for (const width of [320, 500] as const) {
    const rendered = await renderer.render(card.payload, { width, theme: 'light' });
    expect(cardProblems(rendered, card.mustShow)).toEqual([]);
  }
}

describe.skipIf(skip)('every card passes the 3 am test (issue 12)', () => {
  let renderer: CardRenderer | undefined;
  beforeAll(async () => {
    if (STRICT_CHECKS) renderer = await startCardRenderer();
  }, 60_000);
  afterAll(async () => {
    await renderer?.close();
  });
  for (const card of gallery) {
    const name = `${card.kind}: key values visible as text, nothing overflows at 320 px, no markdown list marker`;
    if (STRICT_CHECKS) it(name, () => expectReadable(renderer!, card));
    else it.todo(name);
  }
});
