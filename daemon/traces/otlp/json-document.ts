// An OTLP/JSON file (one ExportTraceServiceRequest, or an array of them: one per exporter flush) converted span by
// span. JSON.parse of the whole 58 MB of a 100k-span file built every object of it at once, all alive until the last
// span was converted — ~40% of that parse was garbage collection. Here the structure around the spans (the request
// objects, resourceSpans, scopeSpans) is walked by a small scanner and every span, resource and scope is parsed on
// its own slice of the text: each span's objects die young, and the text is never held twice.
//
// Only a well-formed file that converts without a single refused span goes this way. Anything else — a syntax error
// anywhere, a field of the wrong type, an unknown key where the request has only resourceSpans, a bad span — returns
// undefined, and the caller takes the whole-document path (JSON.parse, otlpToSpans), which names the exact problem.
// So on success the spans are the ones that path converts, in the same order, and no error can differ.
import type { Attributes, Span } from "../span.js";
import { attributesOf, convertSpan, type OtlpDecoded } from "./decode.js";

/** Thrown inside the scanner: the file is not one this path converts (see the top). */
class NotPlain extends Error {}

const notPlain = new NotPlain();

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The spans of an OTLP/JSON document (or an array of them; the first must have resourceSpans, as detection asks), or
 * undefined when only the whole-document path can say what is wrong with it (see the top of this file).
 */
export function readOtlpJsonDocument(text: string): OtlpDecoded | undefined {
  try {
    return new Scanner(text).document();
  } catch (e) {
    // Any failure (ours, JSON.parse on a slice, a conversion error) means: let the whole-document path decide.
    void e;
    return undefined;
  }
}

/**
 * readOtlpJsonDocument for a file that arrives in pieces (an upload) and is an array of requests (one per exporter
 * flush, the shape of the OTel JS file exporters and of this project's fixtures): each request is converted once its
 * text is all there, while the rest still arrives, and only the text of the request being read is held. Push the
 * decoded text in pieces of any size; end() gives exactly what readOtlpJsonDocument gives the whole text, or undefined
 * (then the caller reads the whole text as before): for a file that is not an array, for anything readOtlpJsonDocument
 * refuses, and for an array whose requests could not be told apart as they came.
 *
 * A request ends where the next begins: `}`, `,`, `{` and the next request's key `"resourceSpans"` (or
 * `"resource_spans"`), with JSON whitespace between; those keys are found by their text (a native search, no
 * character-by-character scan). Such a candidate end is taken only when the text up to it reads as one whole request
 * (Scanner.wholeRequest, which checks all it reads): a JSON object's text ends where its grammar says, so that text is
 * exactly the array element readOtlpJsonDocument reads there, and the next element starts at that `{`. A candidate
 * that does not read (the key's text inside an unknown field or a string) is passed over; after a few, the stream
 * stops trying (each try reads the request's text again).
 */
export class OtlpJsonStream {
  /** The text of the request being read (from its `{`), as it came. */
  private pieces: string[] = [];
  /** The total length of `pieces`. */
  private length = 0;
  /** Where in the request's text the last key looked at starts (none before it is looked at again). */
  private lastKey = -1;
  /** The stream's last KEY_OVERLAP characters. */
  private tail = "";
  private misses = 0;
  /** open: before "["; first: after it; request: inside one; done: after "]" (see end). */
  private state: "open" | "first" | "request" | "off" = "open";
  private readonly out: OtlpDecoded = { spans: [], rejected: [], services: [] };

  /** False once the stream has given up (end() gives undefined): further text need not be decoded for it. */
  get reading(): boolean {
    return this.state !== "off";
  }

  /** The file's next text. */
  push(piece: string): void {
    if (this.state === "off" || !piece) return;
    try {
      this.take(piece);
    } catch {
      this.off(); // not plain (see readOtlpJsonDocument): the whole-document path decides
    }
  }

  /** The spans, when the whole text was an array of requests that all converted; undefined otherwise. */
  end(): OtlpDecoded | undefined {
    if (this.state !== "request") return undefined;
    try {
      // The last request: up to the "}" before the closing "]", then nothing but whitespace.
      const text = this.text();
      let i = text.length - 1;
      while (i >= 0 && isJsonSpace(text.charCodeAt(i))) i--;
      if (text.charCodeAt(i) !== CLOSE_BRACKET) return undefined;
      i--;
      while (i >= 0 && isJsonSpace(text.charCodeAt(i))) i--;
      if (text.charCodeAt(i) !== CLOSE_BRACE) return undefined;
      this.request(text.slice(0, i + 1));
      return this.out;
    } catch {
      return undefined;
    }
  }

  private off(): void {
    this.state = "off";
    this.pieces = [];
  }

  private take(piece: string): void {
    let t = piece;
    if (this.state !== "request") {
      // Before the first request: "[" and whitespace.
      let i = 0;
      for (; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (isJsonSpace(c)) continue;
        if (this.state === "open" && c === OPEN_BRACKET) this.state = "first";
        else if (this.state === "first" && c === OPEN_BRACE) break;
        else throw notPlain; // one request, not a document, or an empty array: read whole
      }
      if (i === t.length) return;
      this.state = "request";
      t = t.slice(i);
    }
    // Keys are looked for in the new piece and the few characters before it (a key cut between two pieces).
    let window = this.tail + t;
    let offset = this.length - this.tail.length; // where `window` starts in the request's text
    this.tail = window.slice(-KEY_OVERLAP);
    this.pieces.push(t);
    this.length += t.length;
    for (let from = 0; ;) {
      const found = nextKey(window, from);
      if (found === -1) return;
      from = found + 1;
      const key = offset + found;
      if (key <= this.lastKey) continue;
      this.lastKey = key;
      const text = this.text();
      // Back from the key over whitespace: "{" (the next request's start), ",", "}" (this one's end).
      let i = key - 1;
      while (i >= 0 && isJsonSpace(text.charCodeAt(i))) i--;
      if (text.charCodeAt(i) !== OPEN_BRACE) continue;
      const next = i;
      i--;
      while (i >= 0 && isJsonSpace(text.charCodeAt(i))) i--;
      if (text.charCodeAt(i) !== COMMA) continue;
      i--;
      while (i >= 0 && isJsonSpace(text.charCodeAt(i))) i--;
      if (text.charCodeAt(i) !== CLOSE_BRACE) continue;
      try {
        this.request(text.slice(0, i + 1));
      } catch {
        if (++this.misses > MAX_MISSES) throw notPlain;
        continue;
      }
      // The next request's text is what follows; its own key is behind, further keys are looked for in all of it.
      const rest = text.slice(next);
      this.pieces = [rest];
      this.length = rest.length;
      this.lastKey = key - next;
      window = rest;
      offset = 0;
      from = this.lastKey + 1;
    }
  }

  /** The request's text so far, as one string. */
  private text(): string {
    if (this.pieces.length > 1) this.pieces = [this.pieces.join("")];
    return this.pieces[0] ?? "";
  }

  /** Converts one request's whole text; its spans and services join the file's only when all of it converted. */
  private request(text: string): void {
    const one = new Scanner(text).wholeRequest();
    for (const s of one.spans) this.out.spans.push(s);
    for (const s of one.services) if (!this.out.services.includes(s)) this.out.services.push(s);
  }
}

/** The first request key in `text` at or after `from`, or -1. */
function nextKey(text: string, from: number): number {
  const a = text.indexOf('"resourceSpans"', from);
  const b = text.indexOf('"resource_spans"', from);
  return a === -1 ? b : b === -1 ? a : Math.min(a, b);
}

/** How far back in the text before a new piece a request key may start ('"resource_spans"' less one character). */
const KEY_OVERLAP = 15;
/** Candidate request ends that did not read before the stream stops trying (see OtlpJsonStream). */
const MAX_MISSES = 4;

const isJsonSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** One scope's spans: where each span's JSON is in the text, converted once the resource is known. */
interface ScopeSpans {
  scopeName: string | undefined;
  /** [start, end) of each span's JSON value; undefined: `spans` absent or null. */
  spans: number[] | undefined;
}

class Scanner {
  private i = 0;

  private readonly out: OtlpDecoded = { spans: [], rejected: [], services: [] };

  constructor(private readonly text: string) {}

  /** The text is one request object and nothing else (an element of a streamed array): its spans. */
  wholeRequest(): OtlpDecoded {
    if (this.text.charCodeAt(0) !== OPEN_BRACE) throw notPlain;
    this.request();
    if (this.i !== this.text.length) throw notPlain;
    return this.out;
  }

  document(): OtlpDecoded {
    const t = this.text;
    this.ws();
    const c = t.charCodeAt(this.i);
    if (c === OPEN_BRACKET) {
      this.i++;
      this.ws();
      // An empty array is not detected as OTLP.
      if (t.charCodeAt(this.i) === CLOSE_BRACKET) throw notPlain;
      for (;;) {
        this.ws();
        this.request();
        if (this.separator(CLOSE_BRACKET)) break;
      }
    } else if (c === OPEN_BRACE) {
      this.request();
    } else {
      throw notPlain;
    }
    this.ws();
    if (this.i !== t.length) throw notPlain;
    return this.out;
  }

  /** An ExportTraceServiceRequest object: resourceSpans (or resource_spans) and nothing else. */
  private request(): void {
    const found: Partial<Record<"resourceSpans" | "resource_spans", ResourceDone[] | null>> = {};
    this.object((key) => {
      if (key !== "resourceSpans" && key !== "resource_spans") throw notPlain;
      found[key] = this.listOrNull(() => this.resourceSpans());
    });
    // As otlpToSpans reads it: resourceSpans ?? resource_spans ?? [] — a later duplicate key replaced an earlier one.
    if (!("resourceSpans" in found) && !("resource_spans" in found)) throw notPlain;
    const chosen = found.resourceSpans ?? found.resource_spans ?? [];
    for (const done of chosen) {
      for (const s of done.spans) this.out.spans.push(s);
      if (done.service !== undefined && !this.out.services.includes(done.service)) this.out.services.push(done.service);
    }
  }

  /** One resourceSpans element: its resource first (in whatever key order), then its scopes' spans converted. */
  private resourceSpans(): ResourceDone {
    let resource: unknown;
    const scopes: Partial<Record<string, ScopeSpans[] | null>> = {};
    this.object((key) => {
      if (key === "resource") resource = this.value();
      else if (key === "scopeSpans" || key === "scope_spans" || key === "instrumentationLibrarySpans")
        scopes[key] = this.listOrNull(() => this.scopeSpans());
      else this.value();
    });
    const resourceAttrs: Attributes = isObj(resource) ? attributesOf(resource.attributes, "resource.attributes") : {};
    const service = resourceAttrs["service.name"];
    const spans: Span[] = [];
    const chosen = scopes.scopeSpans ?? scopes.scope_spans ?? scopes.instrumentationLibrarySpans ?? [];
    for (const scope of chosen) {
      const at = scope.spans;
      if (!at) continue;
      for (let k = 0; k < at.length; k += 2) {
        const raw: unknown = JSON.parse(this.text.slice(at[k], at[k + 1]));
        spans.push(convertSpan(raw, resourceAttrs, scope.scopeName, "span"));
      }
    }
    return { spans, service: typeof service === "string" ? service : undefined };
  }

  /** One scopeSpans element: the scope's name and where its spans are. */
  private scopeSpans(): ScopeSpans {
    const found: ScopeSpans = { scopeName: undefined, spans: undefined };
    this.object((key) => {
      if (key === "scope") {
        const scope = this.value();
        found.scopeName = isObj(scope) && typeof scope.name === "string" ? scope.name : undefined;
      } else if (key === "spans") {
        const at: number[] = [];
        const list = this.listOrNull(() => {
          at.push(this.i);
          this.skipValue();
          at.push(this.i);
        });
        found.spans = list ? at : undefined;
      } else {
        this.value();
      }
    });
    return found;
  }

  /** A list of `item`s, or null (which otlpToSpans reads as absent); anything else is not plain. */
  private listOrNull<T>(item: () => T): T[] | null {
    this.ws();
    const t = this.text;
    if (t.charCodeAt(this.i) !== OPEN_BRACKET) {
      if (this.value() !== null) throw notPlain;
      return null;
    }
    this.i++;
    const items: T[] = [];
    this.ws();
    if (t.charCodeAt(this.i) === CLOSE_BRACKET) {
      this.i++;
      return items;
    }
    for (;;) {
      this.ws();
      items.push(item());
      if (this.separator(CLOSE_BRACKET)) return items;
    }
  }

  /** An object (this.i at its "{"); `member` reads each key's value. Keys are decoded by JSON.parse. */
  private object(member: (key: string) => void): void {
    const t = this.text;
    if (t.charCodeAt(this.i) !== OPEN_BRACE) throw notPlain;
    this.i++;
    this.ws();
    if (t.charCodeAt(this.i) === CLOSE_BRACE) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (t.charCodeAt(this.i) !== QUOTE) throw notPlain;
      const start = this.i;
      this.skipString();
      const key = JSON.parse(t.slice(start, this.i)) as string;
      this.ws();
      if (t.charCodeAt(this.i) !== COLON) throw notPlain;
      this.i++;
      this.ws();
      member(key);
      if (this.separator(CLOSE_BRACE)) return;
    }
  }

  /** After a member or element: true at the closing `close` (consumed), false at a comma (consumed). */
  private separator(close: number): boolean {
    this.ws();
    const c = this.text.charCodeAt(this.i++);
    if (c === close) return true;
    if (c === COMMA) return false;
    throw notPlain;
  }

  /** Any JSON value at this.i, parsed on its own (JSON.parse checks it). */
  private value(): unknown {
    const start = this.i;
    this.skipValue();
    return JSON.parse(this.text.slice(start, this.i));
  }

  /**
   * Moves past one JSON value without checking its inside: brackets are counted and strings skipped. Whatever is
   * skipped here is JSON.parse'd later (a span) or right away (value), which rejects what this does not.
   */
  private skipValue(): void {
    const t = this.text;
    const c = t.charCodeAt(this.i);
    if (c === QUOTE) return this.skipString();
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
      // A number, true, false or null: up to the next delimiter.
      let j = this.i;
      for (;;) {
        const d = t.charCodeAt(j);
        if (d !== d || d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 32) break;
        j++;
      }
      if (j === this.i) throw notPlain;
      this.i = j;
      return;
    }
    let depth = 0;
    let j = this.i;
    const n = t.length;
    while (j < n) {
      const d = t.charCodeAt(j);
      if (d === QUOTE) {
        j = stringEnd(t, j);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (--depth === 0) {
          this.i = j + 1;
          return;
        }
      }
      j++;
    }
    throw notPlain;
  }

  private skipString(): void {
    this.i = stringEnd(this.text, this.i);
  }

  /** Past JSON whitespace (only these four: JSON.parse refuses others). */
  private ws(): void {
    const t = this.text;
    let c = t.charCodeAt(this.i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++this.i);
  }
}

interface ResourceDone {
  spans: Span[];
  service: string | undefined;
}

/** The index after the string that opens at `at` (a quote); an escaped quote does not end it. */
function stringEnd(t: string, at: number): number {
  let j = at;
  for (;;) {
    j = t.indexOf('"', j + 1);
    if (j === -1) throw notPlain;
    let b = j - 1;
    while (t.charCodeAt(b) === BACKSLASH) b--;
    if ((j - 1 - b) % 2 === 0) return j + 1;
  }
}
