/** The Adaptive Card 1.5 subset the guardrail sends, and the Workflows webhook envelope. */
import { redact } from '../text/redact.js';

/** Workflows webhooks take at most about 28 KB; a larger body is dropped after a 202. */
export const TEAMS_MAX_BODY_BYTES = 28 * 1024;
export const MAX_TEXT = 300;

export type TextColor = 'Default' | 'Attention' | 'Accent';

/**
 * A run of text. Teams applies a limited markdown to TextBlock and Fact values (a lone `*` becomes a
 * list bullet), but none to a TextRun: every text the guardrail sends, its own and what came from
 * people (a justification, a requester, a rule name), goes in runs, so it shows as written.
 */
export interface TextRun {
  readonly type: 'TextRun';
  readonly text: string;
  readonly weight?: 'Bolder';
  readonly size?: 'Small' | 'Medium' | 'Large';
  readonly color?: TextColor;
  readonly isSubtle?: boolean;
}

export interface RichTextBlock {
  readonly type: 'RichTextBlock';
  readonly inlines: readonly TextRun[];
  readonly separator?: boolean;
  readonly spacing?: 'Small' | 'Medium';
}

export type CardElement = RichTextBlock;

export interface OpenUrl {
  readonly type: 'Action.OpenUrl';
  readonly title: string;
  readonly url: string;
}

export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: string;
  readonly version: '1.5';
  /** What a notification, a screen reader or a client that cannot render the card shows. */
  readonly fallbackText: string;
  readonly body: readonly CardElement[];
  readonly actions: readonly OpenUrl[];
  /** Teams' own extension (not in the 1.5 schema): use the whole width of the channel. */
  readonly msteams: { readonly width: 'Full' };
}

export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: 'application/vnd.microsoft.card.adaptive';
    readonly content: AdaptiveCard;
  }[];
}

/** A card with link buttons (webhook cards allow only OpenUrl). */
export function adaptiveCard(
  fallbackText: string,
  body: readonly CardElement[],
  links: readonly { title: string; url: string }[],
): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: plain(fallbackText, MAX_TEXT),
    body,
    actions: links.map((link) => ({ type: 'Action.OpenUrl', ...link })),
    msteams: { width: 'Full' },
  };
}

export function toTeamsMessage(card: AdaptiveCard): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
}

/** Bytes of the POST body Teams receives for this card. */
export function teamsBodyBytes(card: AdaptiveCard): number {
  return Buffer.byteLength(JSON.stringify(toTeamsMessage(card)));
}

/**
 * The most detailed card that fits the Workflows limit: `build(level)` for level 0, 1, 2 … gives
 * ever shorter cards; the first that fits is sent. Fewer details, never a refusal: the last level
 * is cut to its first elements if even it does not fit.
 */
export function fitForTeams(build: (level: number) => AdaptiveCard, levels: number): AdaptiveCard {
  let card = build(0);
  for (let level = 1; level < levels && teamsBodyBytes(card) > TEAMS_MAX_BODY_BYTES; level++) {
    card = build(level);
  }
  for (let keep = card.body.length - 1; keep >= 1 && teamsBodyBytes(card) > TEAMS_MAX_BODY_BYTES; keep--) {
    card = { ...card, body: card.body.slice(0, keep) };
  }
  return card;
}

/**
 * Text as it is shown: control characters and line breaks become spaces (a justification cannot add
 * lines that look like the card's own), bidirectional controls go, runs of spaces collapse, and it is
 * cut to `max` characters.
 */
export function plain(text: string, max = MAX_TEXT): string {
  const flat = text
    // Terminal colour codes first (ESC [ … m), or their visible remains ("[31m") would be left.
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    // Direction overrides and isolates would let a name reorder the text shown after it.
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Longer words than this get places to break, so one id cannot push a card wider than a phone. A
 * GUID (36) stays whole: ops search and copy those.
 */
const LONGEST_WORD = 36;
const BREAK_AFTER = /([/\\._@#:=,;)])/g;
const ZERO_WIDTH_SPACE = '\u200b';

/**
 * Lets the renderer wrap long tokens (resource ids, permission strings, rule names): a zero-width
 * space after each separator, and every 24 characters of a run without one. Secrets are redacted
 * first, while they are still whole.
 */
export function breakable(text: string): string {
  return redact(text)
    .split(' ')
    .map((word) => {
      if (word.length <= LONGEST_WORD) return word;
      return word
        .replace(BREAK_AFTER, `$1${ZERO_WIDTH_SPACE}`)
        .split(ZERO_WIDTH_SPACE)
        .map((part) => part.replace(/(.{24})(?=.)/g, `$1${ZERO_WIDTH_SPACE}`))
        .join(ZERO_WIDTH_SPACE);
    })
    .join(' ');
}

export const run = (text: string, style: Omit<TextRun, 'type' | 'text'> = {}): TextRun => ({
  type: 'TextRun',
  text: breakable(text),
  ...style,
});

export const paragraph = (
  inlines: readonly TextRun[],
  options: { separator?: boolean; spacing?: 'Small' | 'Medium' } = {},
): RichTextBlock => ({ type: 'RichTextBlock', inlines, ...options });

/** One fact: its label in bold, then its value, on one wrapping line (no columns to squeeze). */
export function fact(label: string, value: string, max = MAX_TEXT): RichTextBlock {
  return paragraph([run(`${label}:`, { weight: 'Bolder' }), run(` ${plain(value, max)}`)], {
    spacing: 'Small',
  });
}

/** Small, subtle reference details (ids, times) after the story: label and value pairs. */
export function footer(pairs: readonly (readonly [string, string])[]): RichTextBlock {
  return paragraph(
    pairs.flatMap(([label, value], i) => [
      run(`${i === 0 ? '' : ' · '}${label}`, { weight: 'Bolder', size: 'Small', isSubtle: true }),
      run(` ${plain(value)}`, { size: 'Small', isSubtle: true }),
    ]),
    { separator: true },
  );
}

/** "10:04:05 UTC, 25 Nov 2026": the time ops read, not an ISO string. */
export function readableTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toISOString().slice(11, 19);
  const day = date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  return `${time} UTC, ${day}`;
}

/** "4 s", "3 min 12 s", "2 h 5 min": how long something lasted. */
export function readableDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}
