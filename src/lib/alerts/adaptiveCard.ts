/** The Adaptive Card 1.5 subset the guardrail sends, and the Workflows webhook envelope. */

/** Workflows webhooks reject bodies over 28 KB; we stay well under. */
export const TEAMS_MAX_BODY_BYTES = 28 * 1024;
export const MAX_TEXT = 300;

export interface AdaptiveCard {
  readonly type: 'AdaptiveCard';
  readonly $schema: string;
  readonly version: '1.5';
  readonly body: readonly CardElement[];
  readonly actions: readonly { type: 'Action.OpenUrl'; title: string; url: string }[];
}

export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      weight?: 'Bolder';
      size?: 'Medium' | 'Large';
      color?: 'Attention' | 'Warning' | 'Good' | 'Accent';
      separator?: boolean;
    }
  | { type: 'FactSet'; facts: { title: string; value: string }[]; separator?: boolean };

export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly {
    readonly contentType: 'application/vnd.microsoft.card.adaptive';
    readonly content: AdaptiveCard;
  }[];
}

/** A card of this body with "open in the portal" style link buttons (webhook cards allow only OpenUrl). */
export function adaptiveCard(
  body: readonly CardElement[],
  links: readonly { title: string; url: string }[],
): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    actions: links.map((link) => ({ type: 'Action.OpenUrl', ...link })),
  };
}

export function toTeamsMessage(card: AdaptiveCard): TeamsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  };
}

/** Fact values are strings and kept short, so a card stays readable and under the size limit. */
export function facts(pairs: [string, string][]): { title: string; value: string }[] {
  return pairs.map(([title, value]) => ({ title, value: clip(inert(value)) }));
}

/**
 * Fact values render markdown in Teams, and some come from people (a JIT justification, a requester
 * name): a `[text](url)` there would show ops a link that is not ours. Break link syntax; keep the text.
 */
export function inert(text: string): string {
  return text.replace(/\]\s*\(/g, '] (').replace(/<(https?:)/gi, '< $1');
}

export function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
