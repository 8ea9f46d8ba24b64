// Import rules for src/, checked by `npm run lint` (depcruise). See README "Architecture".
//
// No import cycle in src/, counting type-only imports too (tsPreCompilationDeps).
//
// Baseline: the cycles that existed when this rule was introduced are listed in
// .dependency-cruiser-known-violations.json and reported as warnings only (`--ignore-known`), so lint
// passes today and fails on any NEW cycle. The baseline may only shrink: when you break a cycle,
// regenerate it (`npm run depcruise:baseline`) and commit the smaller file; never regenerate it to
// accept a new cycle. The engine v2 refactor (issue 13) empties it.
//
// At most one exception may ever be added here, and only type-only: Scope.container <-> Container.root.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "src/ has no import cycle (value or type imports); see README 'Architecture'.",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|build|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
