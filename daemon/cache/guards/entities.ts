// Named entities: "capital of France" vs "capital of Spain", "install numpy" vs "install pandas". Capitalized words
// (beyond sentence starts and common words) and a lexicon of tools, products and platforms written in lower case.
import { words, type Guard } from "./guard.js";

/** Common words that start sentences or are capitalized for other reasons. */
const COMMON = new Set(
  (
    "i a an the this that these those it its is are was were be been do does did how what why when where which who whom whose can could " +
    "should would will shall may might must please explain tell show give list write make find help describe summarize summarise compare " +
    "create add get set use using let lets hey hi hello thanks thank ok okay yes no not my me we our you your they their he she his her " +
    "in on at for to of by with from about into onto as if or and but so then than there here also just only any some all each every " +
    "is there what's how's where's who's it's i'm i've i'd can't don't doesn't won't isn't what're best good new old other same such " +
    "step first second next last finally after before now today tomorrow yesterday translate convert fix update remove delete enable disable"
  ).split(/\s+/),
);

/** Lower-case names that are entities all the same. alias → canonical. */
export const LEXICON: Record<string, string> = {
  numpy: "numpy",
  pandas: "pandas",
  scipy: "scipy",
  matplotlib: "matplotlib",
  pytorch: "pytorch",
  torch: "pytorch",
  tensorflow: "tensorflow",
  react: "react",
  vue: "vue",
  angular: "angular",
  svelte: "svelte",
  nextjs: "nextjs",
  "next.js": "nextjs",
  express: "express",
  django: "django",
  flask: "flask",
  fastapi: "fastapi",
  rails: "rails",
  spring: "spring",
  laravel: "laravel",
  docker: "docker",
  kubernetes: "kubernetes",
  k8s: "kubernetes",
  postgres: "postgres",
  postgresql: "postgres",
  mysql: "mysql",
  sqlite: "sqlite",
  redis: "redis",
  mongodb: "mongodb",
  mongo: "mongodb",
  kafka: "kafka",
  rabbitmq: "rabbitmq",
  nginx: "nginx",
  apache: "apache",
  aws: "aws",
  gcp: "gcp",
  azure: "azure",
  s3: "s3",
  ec2: "ec2",
  lambda: "lambda",
  linux: "linux",
  windows: "windows",
  macos: "macos",
  ubuntu: "ubuntu",
  debian: "debian",
  fedora: "fedora",
  android: "android",
  ios: "ios",
  chrome: "chrome",
  firefox: "firefox",
  safari: "safari",
  edge: "edge",
  git: "git",
  github: "github",
  gitlab: "gitlab",
  npm: "npm",
  yarn: "yarn",
  pnpm: "pnpm",
  pip: "pip",
  conda: "conda",
  cargo: "cargo",
  vscode: "vscode",
  vim: "vim",
  emacs: "emacs",
  slack: "slack",
  zoom: "zoom",
  gmail: "gmail",
  outlook: "outlook",
  excel: "excel",
  word: "word",
  jira: "jira",
  terraform: "terraform",
  ansible: "ansible",
  jenkins: "jenkins",
  webpack: "webpack",
  vite: "vite",
  esbuild: "esbuild",
  babel: "babel",
  eslint: "eslint",
  prettier: "prettier",
  jest: "jest",
  mocha: "mocha",
  pytest: "pytest",
  graphql: "graphql",
  grpc: "grpc",
  oauth: "oauth",
  jwt: "jwt",
  ssh: "ssh",
  ssl: "tls",
  tls: "tls",
  http: "http",
  https: "https",
  tcp: "tcp",
  udp: "udp",
  dns: "dns",
  "2fa": "2fa",
  mfa: "2fa",
  "two-factor": "2fa",
  openai: "openai",
  anthropic: "anthropic",
  claude: "claude",
  gpt: "gpt",
  llama: "llama",
  mistral: "mistral",
  gemini: "gemini",
  iphone: "iphone",
  ipad: "ipad",
  mac: "mac",
  pc: "pc",
  paypal: "paypal",
  stripe: "stripe",
  visa: "visa",
  mastercard: "mastercard",
  bitcoin: "bitcoin",
  ethereum: "ethereum",
  wifi: "wifi",
  "wi-fi": "wifi",
  bluetooth: "bluetooth",
};

function canonical(token: string): string {
  const t = token.toLowerCase().replace(/['’]s$/, "");
  return LEXICON[t] ?? t;
}

export function entities(text: string): string[] {
  const out = new Set<string>();
  // Sentence starts: first word of the text and after . ! ? : or a newline.
  const sentenceStarts = new Set<number>();
  for (const m of text.matchAll(/(?:^|[.!?:\n]\s*)([\p{L}\p{N}])/gu))
    sentenceStarts.add((m.index ?? 0) + m[0].length - 1);
  for (const m of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’.-]*[\p{L}\p{N}]|[\p{Lu}\p{N}]/gu)) {
    const tok = m[0].replace(/[.]+$/, "");
    const lower = canonical(tok);
    if (LEXICON[tok.toLowerCase().replace(/['’]s$/, "")]) {
      out.add(lower);
      continue;
    }
    const capitalized = /^\p{Lu}/u.test(tok) || /\p{Lu}.*\p{Lu}|\p{N}\p{Lu}|\p{Lu}\p{N}/u.test(tok);
    if (!capitalized) continue;
    if (COMMON.has(lower)) continue;
    // A capitalized sentence start is an entity only if it is not an ordinary word; without a dictionary, accept
    // it only when it has inner capitals or digits (iPhone, GPT4).
    if (sentenceStarts.has(m.index ?? -1) && !/\p{Lu}.*\p{Lu}|\p{N}/u.test(tok.slice(1))) continue;
    out.add(lower);
  }
  return [...out];
}

export const entityGuard: Guard = {
  kind: "entity",
  compare(a, b) {
    const ea = entities(a);
    const eb = entities(b);
    // An entity on one side counts as present on the other when it appears there in any case ("france", "France's").
    const wa = new Set(words(a).map(canonical));
    const wb = new Set(words(b).map(canonical));
    const onlyA = ea.filter((e) => !wb.has(e) && !eb.includes(e));
    const onlyB = eb.filter((e) => !wa.has(e) && !ea.includes(e));
    if (!onlyA.length && !onlyB.length) return undefined;
    return { guard: "entity", detail: `${onlyA.join(", ") || "nothing"} vs ${onlyB.join(", ") || "nothing"}` };
  },
};
