// Preloaded (`node --import`) into the Portkey gateway for `bench router`: its streamed path fails on Node. Portkey
// 1.15.2 appends its own headers (x-portkey-*) to the Response that fetch returned, and on Node (undici) that
// Response's headers are immutable, as the Fetch standard says: every streamed request answered 500 ("TypeError:
// immutable"). Here a streamed (event-stream) Response from fetch is handed on as a new Response around the same body
// and headers, which may be changed. Anything else — every non-streamed answer — is fetch's own Response, untouched,
// so the non-streamed measurement is Portkey as published. What this adds to a streamed request: one Response and one
// Headers object (microseconds), on Portkey's side of the comparison.
const fetchOf = globalThis.fetch;

globalThis.fetch = async function fetch(...args) {
  const response = await fetchOf.apply(this, args);
  if (!response.body || !response.headers.get("content-type")?.includes("text/event-stream")) return response;
  return new globalThis.Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};
