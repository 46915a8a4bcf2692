/**
 * Worker thread body for checksum-threads.ts: takes range indices from a shared counter until
 * none are left (work stealing, so a slow thread does less), and records the lowest failing
 * index + 1 in the shared result slot. Posts "done" when finished.
 */
import { parentPort, workerData } from "node:worker_threads";
import { verifySharedRanges, type SharedJob } from "./checksum-lanes.js";

verifySharedRanges(workerData as SharedJob);
parentPort!.postMessage("done");
