/** Reads a card as ops read it (zero-width break hints removed): the headline, and every fact. */
const visible = (text: string | undefined) => (text ?? '').replaceAll('\u200b', '');
interface Inline {
  readonly text?: string;
  readonly weight?: string;
}
interface Element {
  readonly type: string;
  readonly inlines?: readonly Inline[];
}

function bodyOf(message: unknown): readonly Element[] {
  const content = (message as { attachments?: { content?: { body?: Element[] } }[] })?.attachments?.[0]
    ?.content;
  return content?.body ?? (message as { body?: Element[] })?.body ?? [];
}

export function cardHeadline(message: unknown): string {
  const [first] = bodyOf(message);
  return (first?.inlines ?? []).map((i) => visible(i.text)).join('');
}

export function cardFacts(message: unknown): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const element of bodyOf(message)) {
    const inlines = element.inlines ?? [];
    for (let i = 0; i + 1 < inlines.length; i++) {
      const label = inlines[i]!;
      const value = inlines[i + 1]!;
      if (label.weight !== 'Bolder' || value.weight === 'Bolder') continue;
      const name = visible(label.text).replace(/^ · /, '').replace(/:$/, '').trim();
      if (!(name in facts)) facts[name] = visible(value.text).trim();
    }
  }
  return facts;
}

/** Every text the card shows, in order. */
export function cardText(message: unknown): string {
  return bodyOf(message)
    .map((e) => (e.inlines ?? []).map((i) => visible(i.text)).join(''))
    .join('\n');
}
