interface Inline {
  text?: string;
}

/** Renders a Teams card from the Workflows envelope as plain lines, for a terminal. */
export function renderCard(message: unknown): string {
  const content = (
    message as {
      attachments?: { content?: { body?: unknown[]; actions?: { title: string; url: string }[] } }[];
    }
  )?.attachments?.[0]?.content;
  if (!content) return JSON.stringify(message);
  const lines: string[] = [];
  for (const element of content.body ?? []) {
    const e = element as { type: string; text?: string; inlines?: Inline[]; separator?: boolean };
    if (e.separator) lines.push('  ────────');
    if (e.type === 'TextBlock' && e.text) lines.push(`  ${e.text}`);
    if (e.type === 'RichTextBlock')
      lines.push(`  ${(e.inlines ?? []).map((i) => (i.text ?? '').replaceAll('\u200b', '')).join('')}`);
  }
  for (const action of content.actions ?? []) lines.push(`  [${action.title}] ${action.url}`);
  return lines.join('\n');
}
