// Claude Code transcript records in the shape 2.1.332 writes (user, assistant, api-request), for importer tests that
// build a session by hand. Times are milliseconds after `t0`; each record gets a fresh uuid.
export function claudeCodeRecords(t0: number, sessionId: string) {
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const base = {
    sessionId,
    isSidechain: false,
    userType: "external",
    entrypoint: "sdk-cli",
    cwd: "/work",
    version: "2.1.332",
  };
  let n = 0;
  return {
    /** The ISO time `ms` after t0, as records carry it. */
    at,
    /** The same time in ns since the epoch, as spans carry it. */
    ns: (ms: number) => (t0 + ms) * 1e6,
    user: (ms: number, content: unknown, extra: object = {}) => ({
      ...base,
      type: "user",
      uuid: `u${++n}`,
      parentUuid: null,
      timestamp: at(ms),
      message: { role: "user", content },
      ...extra,
    }),
    /** The record of a request sent to the API (`ms` a time string for malformed ones). */
    apiRequest: (id: unknown, ms: number | string) => ({
      type: "api-request",
      sessionId,
      id,
      timestamp: typeof ms === "number" ? at(ms) : ms,
      version: "2.1.332",
      querySource: "sdk",
      params: { model: "claude-sonnet-4-5", max_tokens: 32000 },
    }),
    /** One answer's record, naming the request it answers when `requestRef` is given. */
    assistant: (ms: number, msg: string, requestRef: string | undefined, content: unknown[], extra: object = {}) => ({
      ...base,
      type: "assistant",
      uuid: `a${++n}`,
      parentUuid: null,
      timestamp: at(ms),
      ...(requestRef === undefined ? {} : { requestRef }),
      message: {
        id: msg,
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-5",
        content,
        usage: { input_tokens: 10, output_tokens: 5 },
      },
      ...extra,
    }),
  };
}
