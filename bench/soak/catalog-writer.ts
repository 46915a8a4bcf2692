/**
 * The child process of the catalog soak (and of test/database/catalog-kill.test.ts): in a
 * database folder, keeps collection "anchor" (10 documents, written once) and creates and drops
 * collection "victim" (20 documents in two upserts) in a loop until it is killed.
 * stdout: {"ready":true} once the database is open.
 * Usage: node dist/bench/soak/catalog-writer.js <dir>
 */
import { Database } from "../../engine/database.js";

const docs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, vector: { [1 + (i % 50)]: 1 + i } }));

async function main(): Promise<void> {
  const [dir] = process.argv.slice(2);
  if (!dir) throw new Error("usage: catalog-writer.js <dir>");
  const db = await Database.open(dir);
  if (!db.hasCollection("anchor")) {
    const anchor = await db.createCollection("anchor");
    await anchor.upsert(docs("a", 10));
    await anchor.close();
  }
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  for (;;) {
    if (db.hasCollection("victim")) await db.dropCollection("victim");
    else {
      const v = await db.createCollection("victim");
      await v.upsert(docs("v", 10));
      await v.upsert(docs("w", 10));
    }
  }
}

main().catch((e) => {
  process.stderr.write(`catalog-writer: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
