import { readFileSync } from "node:fs";

/** A fenced code block of the README. */
export interface Block {
  lang: string;
  code: string;
}

/** The README's fenced code blocks, in order. */
export function readmeBlocks(path: string): Block[] {
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

/**
 * The README's programs: code blocks whose first line names a file (`// server.ts`). A reader
 * can save them and run them as they are, so the consumer spec does exactly that with each.
 */
export function readmePrograms(blocks: Block[]): Map<string, string> {
  const programs = new Map<string, string>();
  for (const block of blocks) {
    const name = /^\/\/ ([\w./-]+\.(?:ts|mts|cts|js|mjs|cjs))\n/.exec(block.code)?.[1];
    if (name) programs.set(name, block.code);
  }
  return programs;
}

/** The packages of the `npm install` lines of the first shell block that has them, as `{ deps, devDeps }`. */
export function installLine(blocks: Block[]): { deps: string[]; devDeps: string[] } {
  const block = blocks.find((b) => b.lang === "sh" && /^npm install \S/m.test(b.code));
  if (!block) throw new Error("no npm install line in the README");
  const deps: string[] = [];
  const devDeps: string[] = [];
  for (const line of block.code.split("\n")) {
    const words = line.replace(/#.*/, "").trim().split(/\s+/);
    if (words[0] !== "npm" || words[1] !== "install") continue;
    const dev = words.includes("--save-dev") || words.includes("-D");
    (dev ? devDeps : deps).push(...words.slice(2).filter((w) => !w.startsWith("-")));
  }
  return { deps, devDeps };
}
