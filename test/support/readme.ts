// The README's examples: a block after `<!-- example: examples/NAME.ts -->` shows that file verbatim, and
// the `text` block after `<!-- output: examples/NAME.ts -->` is what it prints (checked by the tests).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
/** The documents that show examples: the README and the pages under docs/. */
export const documents = [
  "README.md",
  "docs/services.md",
  "docs/deferred-calls.md",
  "docs/state-machines.md",
];

const exampleMarker = /<!-- example: (examples\/[\w./-]+\.ts) -->\s*```ts\n([\s\S]*?)```/g;
const outputMarker = /<!-- output: (examples\/[\w./-]+\.ts) -->\s*```text\n([\s\S]*?)```/g;

/** Every example block: the document, the file it shows and the block's text. */
export function exampleBlocks(): { doc: string; file: string; block: string }[] {
  return documents.flatMap((doc) =>
    [...readFileSync(`${root}${doc}`, "utf8").matchAll(exampleMarker)].map((m) => ({
      doc,
      file: m[1]!,
      block: m[2]!,
    })),
  );
}

/** The printed output a document gives for an example, exactly (with its final newline). */
export function exampleOutput(file: string): string {
  for (const doc of documents) {
    for (const m of readFileSync(`${root}${doc}`, "utf8").matchAll(outputMarker)) {
      if (m[1] === file) return m[2]!;
    }
  }
  throw new Error(`No <!-- output: ${file} --> block in ${documents.join(", ")}`);
}
