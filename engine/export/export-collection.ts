import type { Filter } from "../filter.js";
import type { ScrolledDocument, ScrollPage, ScrollRequest } from "../requests.js";
import type { ExportContext, ExportFormat } from "./export-format.js";

/** What an export reads from: the library's Collection or a RemoteCollection (the client). */
export interface Scrollable {
  scroll(request: ScrollRequest): Promise<ScrollPage>;
}

/**
 * The one document iterator every export format writes from: the collection's live documents in
 * id order, a scroll page at a time (with vectors). A document written while the export runs is
 * in it when its id sorts after the page being read (see ScrollPage).
 */
export async function* scrollDocuments(c: Scrollable, o: { pageSize: number; filter?: Filter }): AsyncGenerator<ScrolledDocument[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await c.scroll({ limit: o.pageSize, withVectors: true, ...(cursor === undefined ? {} : { cursor }), ...(o.filter === undefined ? {} : { filter: o.filter }) });
    if (page.documents.length > 0) yield page.documents;
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

/**
 * Writes every document of `c` in `format`, a page at a time through `write` (which may wait, for
 * backpressure); resolves to the number of documents written. `stop` ends it between pages.
 */
export async function exportCollection(
  c: Scrollable,
  format: ExportFormat,
  ctx: ExportContext,
  write: (text: string) => Promise<void> | void,
  o: { pageSize: number; filter?: Filter; stop?: () => boolean; onPage?: (docs: number) => void },
): Promise<number> {
  let written = 0;
  for await (const documents of scrollDocuments(c, o)) {
    await write(format.encode(documents, ctx));
    written += documents.length;
    o.onPage?.(written);
    if (o.stop?.() === true) break;
  }
  return written;
}
