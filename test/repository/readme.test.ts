import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt, { type Token } from 'markdown-it';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CARD = 'docs/images/card-removed.png';
const MAX_README_LINES = 150;
const MAX_PROSE_WIDTH = 100;

const markdown = new MarkdownIt({ html: true });

/** README.md and every docs/*.md, relative to the root. */
function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

function read(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

/** The lines of a file as an editor numbers them (a final newline starts no line). */
function linesOf(text: string): string[] {
  return text.replace(/\r?\n$/, '').split(/\r?\n/);
}

/** Every token, inline children included, in document order. */
function allTokens(text: string): Token[] {
  return markdown.parse(text, {}).flatMap((t) => [t, ...(t.children ?? [])]);
}

/**
 * GitHub's heading anchor (as github-slugger makes it): lower-case, punctuation dropped but for '-'
 * and '_', each space a '-'. Letters, marks and digits of any script stay.
 */
export function githubSlug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown text's headings; a repeated heading gets -1, -2 … as on GitHub. */
export function anchorsOf(text: string): Set<string> {
  const tokens = markdown.parse(text, {});
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  tokens.forEach((token, i) => {
    if (token.type !== 'heading_open') return;
    const inline = tokens[i + 1];
    const words = (inline?.children ?? [])
      .filter((c) => c.type === 'text' || c.type === 'code_inline')
      .map((c) => c.content)
      .join('');
    const slug = githubSlug(words);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  });
  return anchors;
}

/** Every link and image target of a markdown text, in markdown or in HTML attributes. */
export function targetsOf(text: string): string[] {
  const targets: string[] = [];
  for (const token of allTokens(text)) {
    if (token.type === 'link_open') targets.push(String(token.attrGet('href') ?? ''));
    if (token.type === 'image') targets.push(String(token.attrGet('src') ?? ''));
    if (token.type === 'html_block' || token.type === 'html_inline') {
      for (const m of token.content.matchAll(/\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
        targets.push(m[1] ?? m[2] ?? '');
      }
    }
  }
  return targets;
}

/**
 * What is wrong with the relative links of `file` (relative to `root`), given its text: a target
 * that does not exist, or an `#anchor` that no heading of the target makes. Links with a scheme
 * (https:, mailto:) are not followed.
 */
export function brokenLinks(root: string, file: string, text: string): string[] {
  const broken: string[] = [];
  for (const target of targetsOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const hash = target.indexOf('#');
    const path = decodeURI(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved =
      path === ''
        ? join(root, file)
        : path.startsWith('/')
          ? join(root, path)
          : resolve(root, dirname(file), path);
    const shown = `${file}: ${target}`;
    if (relative(root, resolved).startsWith('..')) {
      broken.push(`${shown} (outside the repository)`);
      continue;
    }
    if (!existsSync(resolved)) {
      broken.push(`${shown} (no such file)`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) {
      broken.push(`${shown} (an anchor into a file that is not markdown)`);
      continue;
    }
    const targetText = path === '' ? text : readFileSync(resolved, 'utf8');
    if (!anchorsOf(targetText).has(anchor)) {
      broken.push(`${shown} (no heading makes #${anchor})`);
    }
  }
  return broken;
}

/** Lines of prose longer than `width`: code fences, indented code and HTML blocks are not prose. */
export function longProseLines(text: string, width: number): string[] {
  const notProse = new Set<number>();
  for (const token of markdown.parse(text, {})) {
    if (['fence', 'code_block', 'html_block'].includes(token.type) && token.map) {
      for (let line = token.map[0]; line < token.map[1]; line++) notProse.add(line);
    }
  }
  return linesOf(text)
    .map((line, i) => ({ line, i }))
    .filter(
      ({ line, i }) => !notProse.has(i) && !line.trimStart().startsWith('<') && [...line].length > width,
    )
    .map(({ line, i }) => `${i + 1}: ${line}`);
}

describe('the checks themselves', () => {
  it('make anchors as GitHub does', () => {
    expect(githubSlug('`azd down`, then `azd up` again')).toBe('azd-down-then-azd-up-again');
    expect(githubSlug('The reconcile endpoint: App Service Authentication')).toBe(
      'the-reconcile-endpoint-app-service-authentication',
    );
    expect(githubSlug('evaluate: what would it do with my NSG?')).toBe(
      'evaluate-what-would-it-do-with-my-nsg',
    );
    expect(githubSlug('GUARDRAIL_MODE & co. — Ünïcode')).toBe('guardrail_mode--co--ünïcode');
    expect([...anchorsOf('# Limits\n\n## `Limits`\n\n### Limits\n')]).toEqual([
      'limits',
      'limits-1',
      'limits-2',
    ]);
  });

  it('find a missing file, a missing anchor and a link out of the repository, and pass good links', () => {
    const text = [
      '[ok](docs/deploy.md#what-it-creates) [here](#the-title) [web](https://example.com/x.md)',
      '[gone](docs/nowhere.md) [bad anchor](docs/deploy.md#no-such-heading) [out](../elsewhere.md)',
      '',
      '<img src="docs/images/none.png">',
      '',
      '# The title',
    ].join('\n');
    expect(brokenLinks(ROOT, 'README.md', text)).toEqual([
      'README.md: docs/nowhere.md (no such file)',
      'README.md: docs/deploy.md#no-such-heading (no heading makes #no-such-heading)',
      'README.md: ../elsewhere.md (outside the repository)',
      'README.md: docs/images/none.png (no such file)',
    ]);
  });

  it('count prose only', () => {
    const long = 'x'.repeat(MAX_PROSE_WIDTH + 1);
    // An HTML block runs to the next blank line, as on GitHub.
    const text = ['short', '```', long, '```', `<img alt="${long}">`, long, '', long, `| ${long} |`].join(
      '\n',
    );
    expect(longProseLines(text, MAX_PROSE_WIDTH)).toEqual([`8: ${long}`, `9: | ${long} |`]);
  });
});

describe('the README: the newcomer path', () => {
  const readme = read('README.md');

  it(`is at most ${MAX_README_LINES} lines`, () => {
    expect(linesOf(readme).length).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it('draws the flow in a mermaid block', () => {
    const fences = markdown.parse(readme, {}).filter((t) => t.type === 'fence');
    const mermaid = fences.find((t) => t.info.trim() === 'mermaid');
    expect(mermaid, 'a ```mermaid block').toBeDefined();
    expect(mermaid!.content).toMatch(/Event Grid/);
  });

  it('shows the card, and the picture is there', () => {
    expect(targetsOf(readme)).toContain(CARD);
    expect(existsSync(join(ROOT, CARD))).toBe(true);
  });

  it(`has no prose line over ${MAX_PROSE_WIDTH} characters`, () => {
    expect(longProseLines(readme, MAX_PROSE_WIDTH)).toEqual([]);
  });

  it('gives the commands for a bare clone and the demo, and links into docs/ by topic', () => {
    expect(readme).toContain('npm ci && npm test');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npx jit-guardrail demo');
    const links = targetsOf(readme);
    for (const topic of [
      'docs/configuration.md',
      'docs/sandbox-and-cli.md',
      'docs/deploy.md',
      'docs/security.md',
      'docs/reliability.md',
      'docs/performance.md',
      'docs/emulator.md',
      'docs/decisions.md#the-jit-requester-role',
    ]) {
      expect(links, topic).toContain(topic);
    }
  });
});

describe('links in README.md and docs/*.md', () => {
  it.each(markdownFiles())('%s: every relative link reaches a file, and every #anchor a heading', (file) => {
    expect(brokenLinks(ROOT, file, read(file))).toEqual([]);
  });
});
