// A cheap task classifier for routing rules: keywords in the last user message. The x-hotpath-task header, when
// a client sends it, always wins over this guess.

const TASKS: [string, RegExp][] = [
  ["summarize", /\b(summari[sz]e|summary|tl;?dr|condense|key points)\b/i],
  ["translate", /\b(translate|translation|in (english|french|german|spanish|japanese|chinese))\b/i],
  ["classify", /\b(classify|categori[sz]e|label|sentiment|which category)\b/i],
  ["extract", /\b(extract|pull out|parse|list all|find all)\b/i],
  ["code", /```|\b(function|refactor|stack trace|compile|bug|typescript|python|javascript|regex|sql)\b/i],
];

export function classifyTask(text: string): string {
  // The head of a long prompt says what is asked; scanning all of it would cost time for no better guess.
  const head = text.slice(0, 4000);
  for (const [task, re] of TASKS) if (re.test(head)) return task;
  return "chat";
}
