import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Renders Adaptive Cards as Teams shows them, for tests and `npm run cards`: Microsoft's own JS renderer
 * (`adaptivecards` 3.x, its browser bundle) with the Teams light and dark host configs and container
 * styles of the Adaptive Cards designer (test/fixtures/adaptive-cards, see SOURCES.md), in headless
 * Debian Chromium driven by playwright-core (never a downloaded browser).
 *
 * Markdown: the renderer hands TextBlock and Fact text to `AdaptiveCard.onProcessMarkdown`. Teams uses
 * a limited markdown of its own; here markdown-it (CommonMark, as the designer uses) with only what
 * Teams documents for cards: lists (`* `, `- `, `1. `, and a line that is only `*`), `**bold**`,
 * `_italic_`, `[links](url)`, autolinks and line breaks. No escapes, headings, code, quotes or HTML.
 * TextRuns get no markdown at all, as in Teams.
 */

export type CardWidth = 500 | 320;
export type CardTheme = 'light' | 'dark';

export interface Overflow {
  /** The innermost element that is clipped or reaches past the card's right edge. */
  readonly tag: string;
  readonly className: string;
  readonly text: string;
  /** `clipped`: its content is wider than its box (cut or ellipsised); `beyond`: past the card's edge. */
  readonly kind: 'clipped' | 'beyond';
  /** How many pixels do not fit. */
  readonly overByPx: number;
}

export interface MarkdownListItem {
  /** The list item's own text ('' for the empty bullet a lone `*` becomes). */
  readonly text: string;
  /** Where it is: `the fact "Title"`, or the quoted text of its TextBlock. */
  readonly within: string;
}

export interface RenderedCard {
  readonly width: CardWidth;
  readonly theme: CardTheme;
  /** The card as parsed: the input without `msteams`. */
  readonly card: Record<string, unknown>;
  /** What the rendered card shows: the browser's innerText, one trimmed line per line, blanks dropped. */
  readonly text: string;
  /** Parse and validation events of the renderer (target version 1.5, as Teams), and page warnings. */
  readonly warnings: readonly string[];
  /** What was changed before parsing (the `msteams` extension stripped). */
  readonly notes: readonly string[];
  readonly overflows: readonly Overflow[];
  /** List items that markdown made of TextBlock or Fact text. */
  readonly markdownLists: readonly MarkdownListItem[];
  readonly heightPx: number;
  /** innerText of every element matching a CSS selector inside the rendered card. */
  textOf(selector: string): Promise<string[]>;
  /** A PNG of the card as rendered (its Teams border included). */
  png(): Promise<Buffer>;
}

export interface CardRenderer {
  render(card: object, options: { width: CardWidth; theme: CardTheme }): Promise<RenderedCard>;
  close(): Promise<void>;
}

export const CHROMIUM_DEFAULT_PATH = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 15_000;

/** The Chromium to drive: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || CHROMIUM_DEFAULT_PATH;
}

export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath());
}

export function chromiumMissingMessage(): string {
  return (
    `Chromium not found at ${chromiumPath()}: install Debian's with \`apt-get install chromium\` ` +
    '(or set CHROMIUM_PATH to a Chromium binary)'
  );
}

const resolveModule = createRequire(import.meta.url).resolve;

/** The repository root: the nearest folder above this file that holds the Teams host configs. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'test/fixtures/adaptive-cards/microsoft-teams-light.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cardRenderer: test/fixtures/adaptive-cards not found above this file');
    dir = parent;
  }
  return dir;
}

interface Theme {
  readonly hostConfig: unknown;
  readonly css: string;
  /** The Teams window behind the card, as the designer's Teams container paints it. */
  readonly background: string;
}

function loadThemes(): Record<CardTheme, Theme> {
  const dir = join(repositoryRoot(), 'test/fixtures/adaptive-cards');
  const theme = (name: CardTheme, background: string): Theme => ({
    hostConfig: JSON.parse(readFileSync(join(dir, `microsoft-teams-${name}.json`), 'utf8')),
    css: readFileSync(join(dir, `teams-container-${name}.css`), 'utf8'),
    background,
  });
  return { light: theme('light', '#F6F6F6'), dark: theme('dark', '#201E1F') };
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><style id="theme"></style>
<style>body { margin: 0; padding: 16px; } .card-host { box-sizing: content-box; margin-bottom: 16px; }</style>
</head><body><div id="stage"></div></body></html>`;

/** Runs in the page: plain JavaScript, so that it needs no DOM types here. */
const PAGE_SCRIPT = `(() => {
  const AC = window.AdaptiveCards;
  const md = window.markdownit('zero', { breaks: true, html: false })
    .enable(['list', 'emphasis', 'link', 'autolink', 'newline']);
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };
  const describe = (e) =>
    (AC.ValidationPhase[e.phase] || e.phase) + ' ' + (AC.ValidationEvent[e.event] || e.event) + ': ' + e.message;
  const textOfElement = (el) => (el.innerText || el.textContent || '').trim();
  window.__cardRenderer = {
    theme(css, background) {
      document.getElementById('theme').textContent = css;
      document.body.style.background = background;
    },
    show(id) {
      for (const host of document.querySelectorAll('.card-host')) host.style.display = host.id === id ? '' : 'none';
    },
    render(id, json, hostConfig, width) {
      this.show('');
      const host = document.createElement('div');
      host.id = id;
      host.className = 'card-host teams-card';
      host.style.width = width + 'px';
      document.getElementById('stage').appendChild(host);
      const card = new AC.AdaptiveCard();
      card.hostConfig = new AC.HostConfig(hostConfig);
      const context = new AC.SerializationContext(AC.Versions.v1_5);
      card.parse(json, context);
      const warnings = [];
      for (let i = 0; i < context.eventCount; i++) warnings.push(describe(context.getEventAt(i)));
      for (const e of card.validateProperties().validationEvents) warnings.push(describe(e));
      const root = card.render();
      if (!root) {
        warnings.push('Render: the renderer produced no element');
        return { warnings, text: '', overflows: [], markdownLists: [], heightPx: 0 };
      }
      host.appendChild(root);
      const edge = root.getBoundingClientRect().right;
      const candidates = [];
      for (const el of root.querySelectorAll('*')) {
        const style = getComputedStyle(el);
        if (style.display === 'none' || style.visibility === 'hidden') continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        const clippedBy = el.clientWidth > 0 ? el.scrollWidth - el.clientWidth : 0;
        const beyondBy = box.right - edge;
        if (clippedBy > 1 || beyondBy > 1) candidates.push({ el, clippedBy, beyondBy });
      }
      const overflows = candidates
        .filter((c) => !candidates.some((o) => o !== c && c.el.contains(o.el)))
        .map((c) => ({
          tag: c.el.tagName.toLowerCase(),
          className: c.el.getAttribute('class') || '',
          text: textOfElement(c.el).slice(0, 200),
          kind: c.clippedBy > 1 ? 'clipped' : 'beyond',
          overByPx: Math.round(Math.max(c.clippedBy, c.beyondBy)),
        }));
      // A list item in a Fact value is named by its fact's title; in a TextBlock, by the block's text.
      const markdownLists = [...root.querySelectorAll('li')].map((li) => {
        const row = li.closest('tr');
        const title = row && row.querySelector('td');
        const within = title
          ? 'the fact "' + textOfElement(title) + '"'
          : '"' + textOfElement(li.closest('.ac-textBlock') || li.parentElement || li).slice(0, 200) + '"';
        return { text: textOfElement(li), within };
      });
      return {
        warnings,
        text: root.innerText
          .split('\\n')
          .map((line) => line.replace(/\\s+/g, ' ').trim())
          .filter((line) => line !== '')
          .join('\\n'),
        overflows,
        markdownLists,
        heightPx: Math.round(root.getBoundingClientRect().height),
      };
    },
    textOf(id, selector) {
      return [...document.querySelectorAll('#' + id + ' ' + selector)].map(textOfElement);
    },
  };
})();`;

interface PageApi {
  theme(css: string, background: string): void;
  show(id: string): void;
  render(
    id: string,
    json: unknown,
    hostConfig: unknown,
    width: number,
  ): Pick<RenderedCard, 'warnings' | 'text' | 'overflows' | 'markdownLists' | 'heightPx'>;
  textOf(id: string, selector: string): string[];
}
/** The page's globals (the callbacks of page.evaluate run in the page, so they name it there). */
type InPage = { __cardRenderer: PageApi };

function withTimeout<T>(promise: Promise<T>, what: string, ms = STEP_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cardRenderer: ${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The card of a Teams message (`{type: 'message', attachments: [{content}]}`), or the card itself, with
 * Teams' `msteams` extension removed: the 1.5 renderer does not know it (`width: 'Full'` only widens the
 * card in Teams; the width here is the one asked for).
 */
export function cardForRenderer(input: object): { card: Record<string, unknown>; notes: string[] } {
  const message = input as { type?: unknown; attachments?: { content?: unknown }[] };
  const content =
    message.type === 'message' && Array.isArray(message.attachments)
      ? message.attachments[0]?.content
      : input;
  if (typeof content !== 'object' || content === null) throw new Error('cardRenderer: no card to render');
  const { msteams, ...card } = content as Record<string, unknown>;
  const notes =
    msteams === undefined
      ? []
      : [
          `msteams ${JSON.stringify(msteams)} stripped before parsing: a Teams extension the renderer does not know`,
        ];
  return { card, notes };
}

/** Launches headless Chromium with one page holding the renderer; close() it (afterAll). */
export async function startCardRenderer(): Promise<CardRenderer> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) throw new Error(chromiumMissingMessage());
  const themes = loadThemes();
  const browser: Browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
    args: ['--disable-dev-shm-usage', '--disable-gpu'],
  });
  let page: Page;
  const pageWarnings: string[] = [];
  try {
    page = await browser.newPage({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 1 });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on('console', (message) => {
      if (message.type() === 'warning' || message.type() === 'error')
        pageWarnings.push(`console.${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageWarnings.push(`page error: ${error.message}`));
    await page.setContent(PAGE);
    await page.addScriptTag({ path: resolveModule('adaptivecards/dist/adaptivecards.min.js') });
    await page.addScriptTag({ path: resolveModule('markdown-it/browser') });
    await page.addScriptTag({ content: PAGE_SCRIPT });
  } catch (error) {
    await browser.close();
    throw error;
  }
  // One card at a time: the page's theme style and visible card are shared.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  let count = 0;
  const showOnly = async (id: string, theme: CardTheme) => {
    const { css, background } = themes[theme];
    await withTimeout(
      page.evaluate(
        ([i, c, b]) => {
          const inPage = (globalThis as unknown as InPage).__cardRenderer;
          inPage.theme(c, b);
          inPage.show(i);
        },
        [id, css, background] as const,
      ),
      'showing a card',
    );
  };

  return {
    render: (input, { width, theme }) =>
      serial(async () => {
        const id = `card-${++count}`;
        const { card, notes } = cardForRenderer(input);
        await showOnly('', theme);
        pageWarnings.length = 0;
        const result = await withTimeout(
          page.evaluate(
            ([i, json, hostConfig, w]) =>
              (globalThis as unknown as InPage).__cardRenderer.render(i, json, hostConfig, w),
            [id, card, themes[theme].hostConfig, width] as const,
          ),
          'rendering a card',
        );
        return {
          width,
          theme,
          card,
          notes,
          text: result.text,
          warnings: [...result.warnings, ...pageWarnings],
          overflows: result.overflows,
          markdownLists: result.markdownLists,
          heightPx: result.heightPx,
          textOf: (selector: string) =>
            serial(() =>
              withTimeout(
                page.evaluate(([i, s]) => (globalThis as unknown as InPage).__cardRenderer.textOf(i, s), [
                  id,
                  selector,
                ] as const),
                'reading text',
              ),
            ),
          png: () =>
            serial(async () => {
              await showOnly(id, theme);
              return await page
                .locator(`#${id}`)
                .screenshot({ timeout: STEP_TIMEOUT_MS, animations: 'disabled' });
            }),
        };
      }),
    close: async () => {
      await withTimeout(browser.close(), 'closing Chromium').catch(() => undefined);
    },
  };
}

/** A markdown list marker at the start of a line: `*`, `-` or `+` alone or before a space, or `1.`. */
const LIST_MARKER = /^\s{0,3}(?:[*+-]|\d{1,9}[.)])(?:\s|$)/m;

/** TextBlock and Fact texts of a card: the texts Teams runs through its markdown. */
export function markdownTexts(card: unknown): { where: string; text: string }[] {
  const found: { where: string; text: string }[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const element = node as Record<string, unknown>;
    if (element.type === 'TextBlock' && typeof element.text === 'string')
      found.push({ where: 'TextBlock', text: element.text });
    if (element.type === 'FactSet' && Array.isArray(element.facts)) {
      for (const fact of element.facts as { title?: unknown; value?: unknown }[]) {
        if (typeof fact.title === 'string') found.push({ where: 'Fact title', text: fact.title });
        if (typeof fact.value === 'string') found.push({ where: 'Fact value', text: fact.value });
      }
    }
    for (const value of Object.values(element)) if (typeof value === 'object') visit(value);
  };
  visit(card);
  return found;
}

const quote = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 99)}…` : text);

/**
 * What is wrong with a rendered card for an on-call engineer: renderer warnings, anything clipped or
 * past the card's edge, a `mustShow` value that is not visible as text, and markdown lists made of
 * TextBlock or Fact text (a lone `*` shows as an empty bullet). Empty when the card is fine.
 */
export function cardProblems(rendered: RenderedCard, mustShow: readonly string[]): string[] {
  const at = `${rendered.width} px ${rendered.theme}`;
  const problems = rendered.warnings.map((w) => `renderer warning: ${w}`);
  for (const o of rendered.overflows)
    problems.push(`overflow at ${at}: <${o.tag}> ${o.kind} by ${o.overByPx} px: ${quote(o.text)}`);
  for (const value of mustShow)
    // Zero-width spaces are break hints (src/lib/alerts/adaptiveCard.ts `breakable`): not seen.
    if (!rendered.text.replaceAll('\u200b', '').includes(value))
      problems.push(`not visible as text at ${at}: ${quote(value)}`);
  for (const item of rendered.markdownLists)
    problems.push(
      item.text === ''
        ? `markdown made an empty bullet of a lone list marker in ${item.within}`
        : `markdown made a list item of ${quote(item.text)} in ${item.within}`,
    );
  for (const { where, text } of markdownTexts(rendered.card))
    if (LIST_MARKER.test(text)) problems.push(`bare markdown list marker in ${where} text ${quote(text)}`);
  return problems;
}
