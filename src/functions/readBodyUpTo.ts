import type { HttpRequest } from '@azure/functions';

/** The body as text, read no further than `limit` bytes; undefined when it is longer. */
export async function readBodyUpTo(request: HttpRequest, limit: number): Promise<string | undefined> {
  const stream = request.body;
  if (stream === null) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value instanceof Uint8Array ? value : new TextEncoder().encode(String(value));
    total += chunk.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
