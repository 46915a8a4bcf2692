import { Database } from "../../database.js";
import { parseCommandArgs } from "../cli-args.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../cli-io.js";
import { databaseDir } from "../target.js";
import type { Command } from "./command.js";

const HELP = `Usage: sparsedb check [DIR] [options]

Checks a database folder (default $SPARSEDB_DIR or ./sparsedb-data) without changing it: the
catalog, every collection's manifest, segment and deletion files (every checksum), every
write-ahead log record, and the cross-references between them. Prints each problem with the file
it is in. Exit code 0 when everything is sound, 1 when a problem is found.

A damaged write-ahead log (a bad record with valid records after it) makes its collection refuse
to open. --repair opens every collection keeping the log records before the damage and dropping
the rest, prints what was dropped (files, records, bytes), then checks again.

Options:
  -d, --dir DIR          the database folder (instead of DIR)
      --repair           repair damaged write-ahead logs (drops the records after the damage)
      --json             print the report as JSON
  -h, --help             this help`;

export const checkCommand: Command = {
  name: "check",
  summary: "check a database's files (checksums, cross-references); --repair damaged logs",
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("check", argv, {
      dir: { type: "string", short: "d" },
      repair: { type: "boolean" },
      json: { type: "boolean" },
    });
    if (positionals.length > 1 || (positionals.length === 1 && typeof values.dir === "string")) {
      throw new UsageError("check takes one database folder (DIR or --dir)");
    }
    const dir = databaseDir(positionals.length === 1 ? { dir: positionals[0] } : values, io);
    const repair = values.repair === true;
    const repairs: unknown[] = [];
    let report;
    if (!repair) report = await Database.verifyFolder(dir);
    else {
      const db = await Database.open(dir, { create: false, repair });
      try {
        for (const { name } of db.listCollections()) {
          const stats = await (await db.collection(name)).stats();
          for (const r of (stats.walRepairs as { file: string; offset: number; droppedRecords: number; droppedBytes: number }[] | undefined) ?? []) {
            repairs.push({ collection: name, ...r });
            if (values.json !== true) {
              io.stdout.write(
                `repaired ${r.file}: ${r.offset > 0 ? `cut at byte offset ${r.offset}` : "removed"}, dropped ${r.droppedRecords} valid record(s) after the damage (${r.droppedBytes} bytes)\n`,
              );
            }
          }
        }
        report = await db.verify();
      } finally {
        await db.close();
      }
    }
    if (values.json === true) {
      io.stdout.write(JSON.stringify({ database: dir, ...report, ...(repair ? { repairs } : {}) }, null, 2) + "\n");
    } else {
      for (const p of report.problems) io.stdout.write(`PROBLEM ${p.file}: ${p.what}\n`);
      for (const n of report.notes) io.stdout.write(`note    ${n.file}: ${n.what}\n`);
      const c = report.checked;
      io.stdout.write(
        `${report.ok ? "ok" : `${report.problems.length} problem(s)`}: checked ${c.collections} collection(s), ${c.segments} segment(s), ` +
          `${c.deletionFiles} deletion file(s), ${c.logs} log(s) with ${c.logRecords} record(s), ${c.documents} live document(s) in segments, ${c.bytes} bytes\n`,
      );
    }
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  },
};
