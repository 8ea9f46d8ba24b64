// Summarises a `node --cpu-prof` profile: the functions with the most self time, and the files.
//   node --cpu-prof --cpu-prof-dir=prof --expose-gc build/bench/run.js --scenario C --adapter asyncscope
//   node build/bench/profile-summary.js prof/*.cpuprofile [--top 25]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const at = url.indexOf("/node_modules/");
  if (at >= 0) return url.slice(at + 1);
  return url.replace(/^file:\/\/.*?\/(dist|build|src)\//, "$1/");
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "(native)";
    const name = `${functionName || "(anonymous)"} ${where}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const fileKey = url ? shortUrl(url) : functionName || "(native)";
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
      .join("\n");
  return `${file}: ${(total / 1e3).toFixed(0)} ms sampled\n\nself time by function\n${rows(functions)}\n\nself time by file\n${rows(files)}\n`;
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
for (const file of args) process.stdout.write(summarize(file, top));
