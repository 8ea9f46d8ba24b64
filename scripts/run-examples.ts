// `npm run examples` runs every example under examples/ (compiled to build/examples/ by `npm run build`);
// `npm run example -- quick-start` runs one, by name.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const all = readdirSync(`${root}examples`)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
  .sort();
const asked = process.argv.slice(2).map((a) => a.replace(/^examples\//, "").replace(/\.ts$/, ""));
const unknown = asked.filter((name) => !all.includes(name));
if (unknown.length) {
  console.error(`No example named ${unknown.join(", ")}. The examples: ${all.join(", ")}.`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length ? asked : all) {
  console.log(`== examples/${name}.ts`);
  const r = spawnSync(process.execPath, ["--enable-source-maps", `${root}build/examples/${name}.js`], {
    stdio: "inherit",
  });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
