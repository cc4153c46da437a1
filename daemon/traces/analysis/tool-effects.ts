// What a tool call may touch, judged from its name and recorded arguments. Conservative: anything that may change
// state (edits, writes, unknown commands, subagents) is a barrier no parallel group crosses.
import { jsonObject } from "../json.js";

export interface ToolEffect {
  /** True when the call only reads (files, the web, search indexes). */
  readOnly: boolean;
  /** Why it is not read-only (shown in reasons). */
  why?: string;
}

const READ_TOOLS = new Set([
  "read",
  "glob",
  "grep",
  "ls",
  "websearch",
  "webfetch",
  "web_search",
  "notebookread",
  "todoread",
  "view",
  "search",
  "list_dir",
  "read_file",
  "file_search",
  "codebase_search",
  "grep_search",
]);
const WRITE_TOOLS = new Set([
  "edit",
  "multiedit",
  "write",
  "notebookedit",
  "apply_patch",
  "todowrite",
  "update_plan",
  "str_replace_based_edit_tool",
  "create_file",
  "delete_file",
]);
const READ_VERBS =
  /(^|[_\-.])(search|get|fetch|read|list|find|query|lookup|extract|grep|glob|view|retrieve|browse|describe|show|cat|ls)([_\-.]|$)/i;

const READ_COMMANDS = new Set([
  "ls",
  "find",
  "cat",
  "head",
  "tail",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "ag",
  "sed",
  "awk",
  "wc",
  "sort",
  "uniq",
  "cut",
  "tr",
  "jq",
  "yq",
  "file",
  "stat",
  "du",
  "df",
  "tree",
  "pwd",
  "echo",
  "printf",
  "which",
  "type",
  "whereis",
  "basename",
  "dirname",
  "realpath",
  "readlink",
  "diff",
  "cmp",
  "date",
  "env",
  "printenv",
  "uname",
  "id",
  "whoami",
  "nl",
  "xxd",
  "od",
  "hexdump",
  "strings",
  "column",
  "true",
  "test",
  "[",
  "cd",
  "git",
  "less",
  "more",
  "fd",
  "bat",
  "ps",
  "sha256sum",
  "md5sum",
  "shasum",
  "comm",
  "tac",
  "rev",
  "fold",
  "expand",
  "seq",
]);
const READ_GIT = new Set([
  "status",
  "log",
  "diff",
  "show",
  "rev-parse",
  "ls-files",
  "blame",
  "grep",
  "describe",
  "shortlog",
  "cat-file",
  "ls-tree",
  "branch",
  "remote",
  "config",
  "reflog",
  "whatchanged",
]);

/** Classifies one recorded tool call. `args` is the recorded arguments (JSON text or a plain string). */
export function toolEffect(name: string, args: string, inferred = false): ToolEffect {
  if (inferred) return { readOnly: false, why: "the tool call was not recorded, only its time" };
  const n = name.toLowerCase();
  if (n === "task" || n === "agent" || n.startsWith("invoke_agent"))
    return { readOnly: false, why: "runs a subagent that may change files" };
  if (WRITE_TOOLS.has(n)) return { readOnly: false, why: `${name} changes files or state` };
  const cmd = commandLine(name, args);
  if (cmd !== undefined) return shellEffect(cmd);
  if (READ_TOOLS.has(n) || (n.startsWith("mcp__") && READ_VERBS.test(n.replace(/^mcp__[^_]+__/, ""))))
    return { readOnly: true };
  if (READ_VERBS.test(n)) return { readOnly: true };
  return { readOnly: false, why: `unknown side effects of tool ${name}` };
}

const SHELL_TOOLS = new Set(["bash", "exec_command", "shell", "run_terminal_cmd", "local_shell", "shell_command"]);
/** SHELL_TOOLS by a tool's name as recorded (few distinct names, asked once per call). */
const shellNames = new Map<string, boolean>();

/** True for a tool that runs a shell command line: its effect is the command's (`toolEffect` reads only that). */
export function isShellTool(name: string): boolean {
  let yes = shellNames.get(name);
  if (yes === undefined) {
    if (shellNames.size > 1000) shellNames.clear();
    shellNames.set(name, (yes = SHELL_TOOLS.has(name.toLowerCase())));
  }
  return yes;
}

/** The command line a shell tool call ran (undefined for other tools). */
export function commandLine(name: string, args: string): string | undefined {
  if (!SHELL_TOOLS.has(name.toLowerCase())) return undefined;
  const parsed = jsonObject(args);
  const c = parsed?.command ?? parsed?.cmd;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) {
    const words = c.map(String);
    // ["bash", "-lc", "<script>"]: the script is the command.
    return words.length === 3 && /(^|\/)(ba|z)?sh$/.test(words[0]) && /^-\w*c$/.test(words[1])
      ? words[2]
      : words.join(" ");
  }
  return args;
}

/** A shell command line is read-only when every command in it is a known reader and nothing is redirected to a file. */
export function shellEffect(cmd: string): ToolEffect {
  // Most commands are one plain command (no quotes, pipes, redirects or substitutions): no rewriting needed.
  if (!SHELL_SPECIAL.test(cmd)) return segmentEffect(cmd, cmd.trim().split(/\s+/)) ?? { readOnly: true };
  const stripped = cmd.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, "''"); // quoted text cannot start commands or redirect
  if (/\$\(|`/.test(stripped)) return { readOnly: false, why: "command substitution" };
  if (/(^|[^0-9&>])>{1,2}\s*(?!\/dev\/null|&)/.test(stripped.replace(/\d?>\s*\/dev\/null|\d?>&\d/g, "")))
    return { readOnly: false, why: "redirects output to a file" };
  for (const segment of stripped.split(/&&|\|\||[;|\n]/)) {
    const effect = segmentEffect(segment, segment.trim().split(/\s+/));
    if (effect) return effect;
  }
  return { readOnly: true };
}

const SHELL_SPECIAL = /['"$`>|;&\n\\]/;

/** One command of a line: undefined when it only reads, else why not. */
function segmentEffect(segment: string, split: string[]): ToolEffect | undefined {
  const words = split.filter(Boolean);
  while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift(); // VAR=value prefixes
  if (!words.length) return undefined;
  const [cmdWord, ...rest] = words;
  const base = cmdWord.split("/").pop()!;
  if (!READ_COMMANDS.has(base)) return { readOnly: false, why: `\`${base}\` may have side effects` };
  if (base === "find" && rest.some((w) => /^-(delete|exec|execdir|ok|okdir|fprint|fprintf|fls)$/.test(w)))
    return { readOnly: false, why: "find with an action" };
  if (base === "sed" && rest.some((w) => /^(-i|--in-place)/.test(w) || /^-[a-zA-Z]*i/.test(w)))
    return { readOnly: false, why: "sed -i edits files" };
  if (base === "awk" && /system\(|print\s*>/.test(segment))
    return { readOnly: false, why: "awk writes or runs commands" };
  if (base === "tail" && rest.some((w) => w === "-f" || w === "-F"))
    return { readOnly: false, why: "tail -f never ends" };
  if (base === "git") {
    const sub = rest.find((w) => !w.startsWith("-"));
    if (!sub || !READ_GIT.has(sub))
      return { readOnly: false, why: `git ${sub ?? ""} may change the repository`.trim() };
    if (
      (sub === "branch" || sub === "remote" || sub === "config") &&
      rest.some((w, i) => i > rest.indexOf(sub) && !w.startsWith("-") && sub !== "config")
    )
      return { readOnly: false, why: `git ${sub} with arguments may change the repository` };
  }
  return undefined;
}
