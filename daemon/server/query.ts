// A request's query string validated against a zod schema: 400 naming every problem, and a parameter given twice is
// refused rather than silently taking one of the values.
import type { z } from "zod";
import { HttpError } from "./route.js";

export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in raw)
      throw new HttpError(
        400,
        `query parameter ${k} given more than once`,
        "invalid_request_error",
        "invalid_query",
        k,
      );
    raw[k] = v;
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join(".") || "(query)"}: ${i.message}`).join("; ");
    const param = String(r.error.issues[0].path[0] ?? "");
    throw new HttpError(400, `invalid query: ${problems}`, "invalid_request_error", "invalid_query", param);
  }
  return r.data;
}
