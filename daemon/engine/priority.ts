// Maps Hotpath's priority classes onto node-llama-cpp's batch evaluation priority (1 lowest … 5 highest).
import type { Priority } from "../chat.js";

export const EVALUATION_PRIORITY: Record<Priority, 1 | 2 | 3 | 4 | 5> = {
  interactive: 5,
  workflow: 3,
  background: 1,
};

/** Queue order: lower rank is served first. */
export const PRIORITY_RANK: Record<Priority, number> = { interactive: 0, workflow: 1, background: 2 };
