// What a chat wrapper makes of a few fixed conversations (with and without tools), as one comparable text: two
// wrappers that render these alike, with the same settings, format prompts alike.
import type { ChatHistoryItem, ChatModelFunctions, ChatWrapper } from "node-llama-cpp";

const FUNCTIONS: ChatModelFunctions = {
  get_weather: {
    description: "The weather in a city",
    params: { type: "object", properties: { city: { type: "string" } } },
  },
};

const PLAIN: ChatHistoryItem[] = [
  { type: "system", text: "You are terse." },
  { type: "user", text: "Hi there" },
  { type: "model", response: ["Hello."] },
  { type: "user", text: "And now?" },
  { type: "model", response: [] },
];

const WITH_TOOLS: ChatHistoryItem[] = [
  { type: "system", text: "Use tools." },
  { type: "user", text: "Weather in Paris?" },
  {
    type: "model",
    response: [
      "Checking.",
      { type: "functionCall", name: "get_weather", params: { city: "Paris" }, result: { celsius: 20 } },
      "It is 20 °C.",
    ],
  },
  { type: "user", text: "Thanks" },
  { type: "model", response: [] },
];

export function renderProbes(wrapper: ChatWrapper): string {
  return JSON.stringify({
    wrapper: wrapper.wrapperName,
    settings: wrapper.settings,
    plain: wrapper.generateContextState({ chatHistory: PLAIN }),
    tools: wrapper.generateContextState({ chatHistory: WITH_TOOLS, availableFunctions: FUNCTIONS }),
  });
}
