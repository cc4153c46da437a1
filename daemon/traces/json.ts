// Recorded JSON text that should hold an object (a tool call's arguments, as an agent logged them).

/** The object `text` holds; undefined when it is not JSON or not an object (agents log what the model wrote). */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}
