// Fails when the types generated from schema.graphql contain `any` (comments aside), or
// when a target / channel config kind has no generated input and output type.
import { readFileSync } from "node:fs";

// Usage: node scripts/check-no-any.mjs [generated file] (default: src/generated/graphql.ts)
const file = process.argv[2] ?? new URL("../src/generated/graphql.ts", import.meta.url);
const code = readFileSync(file, "utf8")
  .replace(/\/\*[\s\S]*?\*\//g, "")
  .replace(/\/\/.*$/gm, "");
const problems = [];
code.split("\n").forEach((line, index) => {
  if (/\bany\b/.test(line)) problems.push(`line ${index + 1}: ${line.trim().slice(0, 160)}`);
});

const schema = readFileSync(new URL("../../../../schema.graphql", import.meta.url), "utf8");
for (const union of ["TargetConfig", "ChannelConfig"]) {
  const match = schema.match(new RegExp(`^union ${union} = (.+)$`, "m"));
  if (!match) {
    problems.push(`schema.graphql has no union ${union}`);
    continue;
  }
  const members = match[1].split("|").map((name) => name.trim());
  for (const name of [union + "Input", ...members, ...members.map((m) => m + "Input")]) {
    if (!new RegExp(`^export type ${name} =`, "m").test(code)) {
      problems.push(`no generated type ${name}`);
    }
  }
}

if (problems.length) {
  console.error(`generated types are not fully typed:\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("generated types: no any; every target and channel config kind typed in and out");
