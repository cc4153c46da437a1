// Code identifiers are exact: `getUserById` vs `getUserByName`, MAX_RETRIES vs MAX_TIMEOUT, --force vs --dry-run.
import { LEXICON } from "./entities.js";
import { setDifference, type Guard } from "./guard.js";
import { PROGRAMMING } from "./languages.js";

/** Product names written like identifiers (JavaScript, iPhone): the entity and language guards judge those. */
const BRANDS = new Set([
  "github",
  "gitlab",
  "youtube",
  "linkedin",
  "wordpress",
  "powershell",
  "javascript",
  "typescript",
  "coffeescript",
  "actionscript",
  "postgresql",
  "mysql",
  "mongodb",
  "iphone",
  "ipad",
  "ios",
  "macos",
  "openai",
  "devops",
  "graphql",
  "fastapi",
  "nextjs",
  "nodejs",
  "vscode",
  "onedrive",
  "sharepoint",
  "dynamodb",
  "cloudflare",
  "bigquery",
  "chatgpt",
  "webassembly",
  "paypal",
  "airpods",
  "playstation",
  "xbox",
]);

const PATTERNS = [
  /`([^`\n]{1,200})`/g, // inline code
  /\b[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+\b/g, // camelCase
  /\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b/g, // PascalCase with two humps
  /\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b/g, // snake_case, CONSTANT_CASE
  /\b[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?=\()/g, // calls: foo(, obj.method(
  /(?<![\w-])--?[a-zA-Z][\w-]*/g, // command-line flags
  /(?<![\w$])\$[A-Za-z_]\w*/g, // $VARIABLES
  /(?<!\w)@[A-Za-z][\w/-]*/g, // @decorators, @scope/packages
  /<\/?[a-zA-Z][\w-]*>/g, // <tags>
  /\b[a-zA-Z_]\w*(?:\.[a-zA-Z_]\w*)+\b(?!\.\w)/g, // dotted names: os.path.join, user.id
];

const FILE_LIKE =
  /\.(ts|tsx|js|jsx|mjs|cjs|py|rs|go|java|rb|php|c|h|cpp|hpp|cs|json|ya?ml|toml|md|txt|csv|html|css|sh|sql|lock|env|cfg|ini|xml|log|gguf|db)$/i;

export function identifiers(text: string): string[] {
  const out: string[] = [];
  for (const re of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const id = m[1] ?? m[0];
      // File names (config.yaml) and abbreviations with dots (e.g., i.e.) belong to other guards or to none.
      if (FILE_LIKE.test(id) || /^(e\.g|i\.e|etc|vs|a\.m|p\.m)$/i.test(id)) continue;
      const lower = id.toLowerCase();
      if (m[1] === undefined && (BRANDS.has(lower) || LEXICON[lower] || PROGRAMMING[lower])) continue;
      out.push(id);
    }
  }
  return out;
}

export const identifierGuard: Guard = {
  kind: "identifier",
  compare(a, b) {
    return setDifference("identifier", identifiers(a), identifiers(b));
  },
};
