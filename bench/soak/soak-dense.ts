/** The crash soak's collection carries dense vectors too (most documents one, some none): its writer and its checker open it with this. */
export const SOAK_DENSE = { dims: 8, metric: "dot" as const, index: "flat" as const };
