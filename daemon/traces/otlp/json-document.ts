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
 * flush, the shape of the OTel JS file exporters and of this project's fixtures): each span is converted as soon as its
 * text is there, and no text longer than one span (or one resource or scope) is ever put together — the pieces are
 * read where they are. (Joining each request's text before reading it cost as much fresh memory as the whole text:
 * a 512-span request is ~300 KB, past V8's regular object size, and first-touch memory is dear on small VMs.) Push the
 * decoded text in pieces of any size; end() gives exactly what readOtlpJsonDocument gives the whole text, or undefined
 * (then the caller reads the whole text as before): for a file that is not an array, for anything
 * readOtlpJsonDocument refuses, and for a few valid shapes this does not follow (a key given twice where the request,
 * a resource or a scope has its lists; a second name for the same list).
 *
 * Everything it reads is checked as JSON.parse of the whole text checks it: the structure around the spans by this
 * reader (brackets, separators, JSON whitespace), every key and every other value by JSON.parse of its own text, each
 * span by JSON.parse and convertSpan. A resource or scope that comes after its spans is waited for (their text is kept
 * until the resource or scope is known).
 */
export class OtlpJsonStream {
  /** The levels of the document, outermost first: what is open, and where in it the reader is. */
  private level: Level = Level.Top;
  private readonly phase: number[] = [TOP_START, 0, 0, 0, 0, 0, 0];
  /** The value being read (it may go on in the next piece), and what it is for. */
  private readonly value = new ValueText();
  /** Whether a value is being read (this.value). */
  private inValue = false;
  private valueFor: ValueFor = ValueFor.Key;
  /** The key just read, at the level it was read. */
  private key = "";
  /** The request keys read so far (resourceSpans or resource_spans: one of them, once). */
  private requestKeys = 0;
  private rs: ResourceRead | undefined;
  private ss: ScopeRead | undefined;
  private state: "reading" | "off" = "reading";
  private readonly out: OtlpDecoded = { spans: [], rejected: [], services: [] };

  /** False once end() can only give undefined: further text need not be decoded for it. */
  get reading(): boolean {
    return this.state === "reading";
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
    if (this.state === "off" || this.level !== Level.Top || this.phase[Level.Top] !== TOP_DONE) return undefined;
    return this.out;
  }

  private off(): void {
    this.state = "off";
    this.inValue = false;
    this.rs = undefined;
    this.ss = undefined;
  }

  private take(t: string): void {
    const n = t.length;
    let i = 0;
    if (this.inValue) {
      i = this.value.read(t, 0);
      if (i === -1) return;
      this.inValue = false;
      this.valueDone(this.value.text(t, 0, i));
    }
    const phase = this.phase;
    while (i < n) {
      let c = t.charCodeAt(i);
      while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++i);
      if (i >= n) return;
      const level = this.level;
      const p = phase[level];
      if (level === Level.Top) {
        if (p === TOP_START && c === OPEN_BRACKET) phase[level] = LIST_OPEN;
        else if ((p === LIST_OPEN || p === LIST_ELEM) && c === OPEN_BRACE) {
          phase[level] = LIST_NEXT;
          this.open(Level.Request);
        } else if (p === LIST_NEXT && c === COMMA) phase[level] = LIST_ELEM;
        else if (p === LIST_NEXT && c === CLOSE_BRACKET) phase[level] = TOP_DONE;
        else throw notPlain; // one request (not an array), an empty array, anything after the array
        i++;
        continue;
      }
      if (level === Level.Request || level === Level.Rs || level === Level.Ss) {
        // An object: "key": value, …
        if ((p === OBJ_OPEN || p === OBJ_KEY) && c === QUOTE) {
          i = this.startValue(t, i, ValueFor.Key);
          if (i === -1) return;
        } else if (p === OBJ_COLON && c === COLON) {
          phase[level] = OBJ_VALUE;
          i++;
        } else if (p === OBJ_VALUE) {
          i = this.member(t, i, c);
          if (i === -1) return;
        } else if (p === OBJ_NEXT && c === COMMA) {
          phase[level] = OBJ_KEY;
          i++;
        } else if ((p === OBJ_NEXT || p === OBJ_OPEN) && c === CLOSE_BRACE) {
          this.close();
          i++;
        } else throw notPlain;
        continue;
      }
      // A list: resourceSpans, scopeSpans or spans.
      if ((p === LIST_OPEN || p === LIST_NEXT) && c === CLOSE_BRACKET) {
        this.level--;
        phase[this.level] = OBJ_NEXT;
        i++;
      } else if (p === LIST_NEXT && c === COMMA) {
        phase[level] = LIST_ELEM;
        i++;
      } else if (p === LIST_OPEN || p === LIST_ELEM) {
        phase[level] = LIST_NEXT;
        if (level === Level.Spans) {
          i = this.startValue(t, i, ValueFor.Span);
          if (i === -1) return;
        } else if (c === OPEN_BRACE) {
          this.open(level === Level.RsList ? Level.Rs : Level.Ss);
          i++;
        } else throw notPlain;
      } else throw notPlain;
    }
  }

  /** Enters an object at `level` (after its "{"). */
  private open(level: Level): void {
    this.level = level;
    this.phase[level] = OBJ_OPEN;
    if (level === Level.Request) this.requestKeys = 0;
    else if (level === Level.Rs) {
      this.rs = { attrs: undefined, lists: 0, scopes: [] };
    } else if (level === Level.Ss) {
      const ss: ScopeRead = { scope: false, name: undefined, spans: 0, converted: [], held: [] };
      this.rs!.scopes.push(ss);
      this.ss = ss;
    }
  }

  /** The object at this level ends (its "}" read). */
  private close(): void {
    const level = this.level;
    if (level === Level.Request) {
      // As otlpToSpans reads a request: resourceSpans ?? resource_spans ?? [] — and a request without either is not one.
      if (!this.requestKeys) throw notPlain;
    } else if (level === Level.Rs) this.resourceDone(this.rs!);
    this.level--;
    this.phase[this.level] = LIST_NEXT;
  }

  /** The value of the key just read, at this.phase OBJ_VALUE (`c`: its first character). */
  private member(t: string, i: number, c: number): number {
    const level = this.level;
    const key = this.key;
    let list: Level | undefined;
    if (level === Level.Request) {
      if (key !== "resourceSpans" && key !== "resource_spans") throw notPlain;
      if (this.requestKeys++) throw notPlain; // given twice (see the top)
      list = Level.RsList;
    } else if (level === Level.Rs) {
      if (key === "resource") {
        if (this.rs!.attrs !== undefined) throw notPlain;
        return this.startValue(t, i, ValueFor.Resource);
      }
      if (key === "scopeSpans" || key === "scope_spans" || key === "instrumentationLibrarySpans") {
        if (this.rs!.lists++) throw notPlain;
        list = Level.SsList;
      }
    } else {
      if (key === "scope") {
        if (this.ss!.scope) throw notPlain;
        return this.startValue(t, i, ValueFor.Scope);
      }
      if (key === "spans") {
        if (this.ss!.spans++) throw notPlain;
        list = Level.Spans;
      }
    }
    if (list === undefined) return this.startValue(t, i, ValueFor.Other);
    this.phase[level] = OBJ_NEXT;
    if (c !== OPEN_BRACKET) return this.startValue(t, i, ValueFor.Null); // null is read as absent; nothing else is
    this.level = list;
    this.phase[list] = LIST_OPEN;
    return i + 1;
  }

  /** Reads a value from t[i]: the index after it, or -1 when the piece ended first (the next piece goes on). */
  private startValue(t: string, i: number, what: ValueFor): number {
    const value = this.value;
    this.valueFor = what;
    value.begin();
    const end = value.read(t, i);
    if (end === -1) this.inValue = true;
    else this.valueDone(value.text(t, i, end));
    return end;
  }

  /** A value read whole: what its text is for. */
  private valueDone(text: string): void {
    const what = this.valueFor;
    const level = this.level;
    switch (what) {
      case ValueFor.Key:
        this.key = JSON.parse(text) as string;
        this.phase[level] = OBJ_COLON;
        return;
      case ValueFor.Span: {
        const rs = this.rs!;
        const ss = this.ss!;
        // Converted now when its resource and scope are known (they come first in every exporter's output).
        if (rs.attrs && ss.scope) ss.converted.push(convertSpan(JSON.parse(text), rs.attrs, ss.name, "span"));
        else ss.held.push(text);
        return;
      }
      case ValueFor.Resource: {
        const resource: unknown = JSON.parse(text);
        this.rs!.attrs = isObj(resource) ? attributesOf(resource.attributes, "resource.attributes") : {};
        break;
      }
      case ValueFor.Scope: {
        const scope: unknown = JSON.parse(text);
        this.ss!.scope = true;
        this.ss!.name = isObj(scope) && typeof scope.name === "string" ? scope.name : undefined;
        break;
      }
      case ValueFor.Null:
        if (JSON.parse(text) !== null) throw notPlain;
        break;
      default:
        JSON.parse(text); // a key readOtlpJsonDocument skips: still JSON
    }
    this.phase[level] = OBJ_NEXT;
  }

  /** A resourceSpans element ended: its spans (those waiting for it converted now) join the file's. */
  private resourceDone(rs: ResourceRead): void {
    const attrs = rs.attrs ?? {};
    for (const ss of rs.scopes) {
      for (const s of ss.converted) this.out.spans.push(s);
      for (const text of ss.held) this.out.spans.push(convertSpan(JSON.parse(text), attrs, ss.name, "span"));
    }
    const service = attrs["service.name"];
    if (typeof service === "string" && !this.out.services.includes(service)) this.out.services.push(service);
    this.rs = undefined;
    this.ss = undefined;
  }
}

/** Where the streamed reader is: the array of requests, inside a request, its resourceSpans list, and so on. */
const Level = { Top: 0, Request: 1, RsList: 2, Rs: 3, SsList: 4, Ss: 5, Spans: 6 } as const;
type Level = number;

/**
 * What a value being read is for. Null: a list that is not a list (only null is read, as absent); Other: any other
 * member's value (checked, then dropped).
 */
const ValueFor = { Key: 0, Span: 1, Resource: 2, Scope: 3, Null: 4, Other: 5 } as const;
type ValueFor = number;

// Phases of a list level: after its "[", after a ",", after an element. The top level also has before "[" and done.
const LIST_OPEN = 0;
const LIST_ELEM = 1;
const LIST_NEXT = 2;
const TOP_START = 3;
const TOP_DONE = 4;
// Phases of an object level: after its "{", after a ",", after a key, before a value, after a value.
const OBJ_OPEN = 0;
const OBJ_KEY = 1;
const OBJ_COLON = 2;
const OBJ_VALUE = 3;
const OBJ_NEXT = 4;

/** A resourceSpans element being read. */
interface ResourceRead {
  /** The resource's attributes once it is read (undefined before). */
  attrs: Attributes | undefined;
  /** How many scope lists it gave (one is read). */
  lists: number;
  scopes: ScopeRead[];
}

/** A scopeSpans element being read. */
interface ScopeRead {
  /** Whether its scope was read (its name is then known). */
  scope: boolean;
  name: string | undefined;
  /** How many spans lists it gave (one is read). */
  spans: number;
  /** Its spans converted as they came (the resource and scope were known). */
  converted: Span[];
  /** Its spans' text, waiting for the resource or scope that came after them. */
  held: string[];
}

/**
 * The text of one JSON value read from pieces: brackets are counted and strings skipped (an escaped quote ends none),
 * from one piece to the next; what the text spells is checked by JSON.parse afterwards, which rejects what this does
 * not. A value within one piece is a slice of it (no copy).
 */
class ValueText {
  private parts: string[] = [];
  private started = false;
  private depth = 0;
  private inString = false;
  /** In a string, the piece ended after a backslash: the next piece's first character is escaped. */
  private escaped = false;
  private scalar = false;

  begin(): void {
    this.parts.length = 0;
    this.started = false;
  }

  /** The whole value, once read() gave its end in `t` (it began at `from` there, or in an earlier piece). */
  text(t: string, from: number, end: number): string {
    if (!this.parts.length) return t.slice(from, end);
    this.parts.push(t.slice(0, end));
    const whole = this.parts.join("");
    this.parts.length = 0;
    return whole;
  }

  /** Reads on from t[from]: the index after the value, or -1 when `t` ended first (its text from `from` is kept). */
  read(t: string, from: number): number {
    const n = t.length;
    let j = from;
    if (!this.started) {
      this.started = true;
      this.depth = 0;
      this.inString = false;
      this.escaped = false;
      const c = t.charCodeAt(j);
      this.scalar = c !== QUOTE && c !== OPEN_BRACE && c !== OPEN_BRACKET;
    }
    if (this.scalar) {
      // A number, true, false or null: up to the next delimiter.
      for (; j < n; j++) {
        const d = t.charCodeAt(j);
        if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 32) {
          if (j === from && !this.parts.length) throw notPlain;
          return j;
        }
      }
      this.parts.push(from === 0 ? t : t.slice(from));
      return -1;
    }
    for (;;) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          j++;
        }
        for (;;) {
          const q = j < n ? t.indexOf('"', j) : -1;
          if (q === -1) {
            let b = n - 1;
            while (b >= j && t.charCodeAt(b) === BACKSLASH) b--;
            this.escaped = (n - 1 - b) % 2 === 1;
            this.parts.push(from === 0 ? t : t.slice(from));
            return -1;
          }
          let b = q - 1;
          while (b >= j && t.charCodeAt(b) === BACKSLASH) b--;
          j = q + 1;
          if ((q - 1 - b) % 2 === 0) break;
        }
        this.inString = false;
        if (this.depth === 0) return j; // a string value
      }
      for (; j < n; j++) {
        const d = t.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === OPEN_BRACE || d === OPEN_BRACKET) this.depth++;
        else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
          if (--this.depth === 0) return j + 1;
        }
      }
      if (j >= n) {
        this.parts.push(from === 0 ? t : t.slice(from));
        return -1;
      }
      this.inString = true;
      j++;
    }
  }
}

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
