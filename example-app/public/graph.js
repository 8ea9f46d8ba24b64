// The live lifetime graph: polls /_lifetimes (the container's inspect() snapshot) and draws it with
// Mermaid — scopes as boxes, instances as nodes coloured by lifetime, outlined by state, each with its
// reference count; arrows go from a holder to what it holds.
/* global mermaid */
(() => {
  "use strict";

  const LIFETIMES = {
    singleton: {
      fill: "#fef3c7",
      stroke: "#b45309",
      text: "#78350f",
      shape: ["[[", "]]"],
      about: "one per container, closed last",
    },
    shared: {
      fill: "#dcfce7",
      stroke: "#15803d",
      text: "#14532d",
      shape: ["([", "])"],
      about: "refcounted, disposed when its last holder lets go",
    },
    scoped: {
      fill: "#dbeafe",
      stroke: "#1d4ed8",
      text: "#1e3a8a",
      shape: ["[", "]"],
      about: "one per scope, disposed with it",
    },
    transient: {
      fill: "#f4f4f5",
      stroke: "#52525b",
      text: "#27272a",
      shape: ["(", ")"],
      about: "one per resolution",
    },
  };
  const STATES = {
    starting: { stroke: "#d97706", dash: "6 4", about: "its factory is running" },
    ready: { about: "in use" },
    releasing: { stroke: "#dc2626", dash: "3 3", about: "last holder gone: being disposed" },
    crashed: { stroke: "#dc2626", dash: "0", about: "failed after it was ready" },
  };
  /** More request scopes than this are summed up in one box, so that a busy server stays readable. */
  const MAX_REQUESTS_DRAWN = 6;
  const params = new URLSearchParams(location.search);
  const intervalMs = Math.max(200, Number(params.get("interval")) || 1000);

  const $ = (sel) => document.querySelector(sel);
  const graphEl = $("#graph");
  const statusEl = $("#status");
  let view = params.get("view") === "library" ? "library" : "styled";
  let paused = false;
  let busy = false;
  let lastKey = "";
  let renders = 0;

  mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: "base",
    themeVariables: {
      fontFamily: "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      fontSize: "14px",
      lineColor: "#64748b",
      clusterBkg: "#f8fafc",
      clusterBorder: "#cbd5e1",
      titleColor: "#0f172a",
    },
    flowchart: {
      htmlLabels: true,
      curve: "basis",
      nodeSpacing: 28,
      rankSpacing: 56,
      padding: 10,
      useMaxWidth: true,
    },
  });

  const esc = (s) => String(s).replace(/["<>#&]/g, (c) => `#${c.charCodeAt(0)};`);
  const html = (s) =>
    String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const isRequest = (scope) => /^request #\d+/.test(scope.name);
  const requestNumber = (scope) => Number(/^request #(\d+)/.exec(scope.name)?.[1] ?? 0);

  /** Who is who: scopes, instances, and the scopes that are an instance's own scope (named after it, under the root). */
  function analyse(g) {
    const scopes = new Map(g.scopes.map((s) => [s.id, s]));
    const instances = new Map(g.instances.map((i) => [i.id, i]));
    const root = g.scopes.find((s) => !s.parent || !scopes.has(s.parent));
    const ownScopeOwner = new Map();
    for (const s of g.scopes) {
      if (s === root || s.parent !== root?.id) continue;
      const owners = g.instances.filter((i) => i.token === s.name);
      if (owners.length === 1) ownScopeOwner.set(s.id, owners[0].id);
    }
    const nameOf = (id) => {
      if (ownScopeOwner.has(id)) return `${instances.get(ownScopeOwner.get(id)).token} (own scope)`;
      return scopes.get(id)?.name ?? instances.get(id)?.token ?? id;
    };
    return { scopes, instances, root, ownScopeOwner, nameOf };
  }

  /** The styled diagram: Mermaid flowchart text built from the snapshot. */
  function diagram(g) {
    const { scopes, root, ownScopeOwner } = analyse(g);
    const requests = g.scopes.filter(isRequest).sort((a, b) => requestNumber(a) - requestNumber(b));
    const hidden = new Set(requests.slice(MAX_REQUESTS_DRAWN).map((s) => s.id));
    const drawnScopes = g.scopes.filter((s) => !hidden.has(s.id) && !ownScopeOwner.has(s.id));
    const drawn = new Set(drawnScopes.map((s) => s.id));

    // Where an instance is drawn: scoped and transient ones inside the scope that owns them; shared and
    // singleton ones outside every scope, since no single scope owns them.
    const home = new Map();
    const visible = [];
    for (const i of g.instances) {
      let at;
      if (i.lifetime === "scoped" || i.lifetime === "transient") {
        at = i.pinnedBy ?? i.holders.find((h) => scopes.has(h));
        if (at && ownScopeOwner.has(at)) at = undefined;
        if (at && hidden.has(at)) continue;
      }
      home.set(i.id, at);
      visible.push(i);
    }

    const lines = ["flowchart LR"];
    // A scope's references to what is drawn outside its box start at a small "holds" node inside it.
    const anchored = new Set();
    for (const i of visible)
      for (const h of i.holders) if (drawn.has(h) && home.get(i.id) !== h) anchored.add(h);
    // Scopes are drawn side by side, not nested (nested boxes with arrows leaving them confuse the
    // layout); a scope whose parent is not the root says so.
    const scopeLabel = (s) => {
      const parent =
        s.parent && s.parent !== root?.id ? ` in ${esc(scopes.get(s.parent)?.name ?? s.parent)}` : "";
      const kind =
        (s === root ? "container (root scope)" : isRequest(s) ? "request scope" : "scope") + parent;
      const state = s.state === "open" ? "" : ` · ${s.state}`;
      return `<b>${esc(s.name)}</b> <span class='scope-kind'>${kind}${state}</span>`;
    };
    const emit = (s) => {
      lines.push(`  subgraph ${s.id}["${scopeLabel(s)}"]`);
      lines.push("    direction LR");
      if (anchored.has(s.id)) lines.push(`    ${s.id}_holds(["holds"]):::anchor`);
      for (const i of visible) if (home.get(i.id) === s.id) lines.push(`    ${node(i)}`);
      lines.push("  end");
    };
    const node = (i) => {
      const lt = LIFETIMES[i.lifetime] ?? LIFETIMES.transient;
      const label =
        `<b>${esc(i.token)}</b><br/><span class='meta'>${i.lifetime} · ${esc(i.state)}</span>` +
        `<br/><span class='refs'>refs ${i.refCount}</span>`;
      return `${i.id}${lt.shape[0]}"${label}"${lt.shape[1]}`;
    };
    for (const s of drawnScopes) emit(s);
    if (hidden.size)
      lines.push(`  more["+ ${hidden.size} more request scope${hidden.size > 1 ? "s" : ""}"]:::more`);
    // Shared and singleton instances stand outside every box: the container owns them, not a scope.
    for (const i of visible) if (home.get(i.id) === undefined) lines.push(`  ${node(i)}`);

    // Edges, and their styles by index (Mermaid numbers links in the order they are declared).
    const linkStyles = [];
    const linked = new Set(); // a holder with several references to one instance gets one arrow
    const link = (from, arrow, to, style) => {
      if (linked.has(`${from} ${to}`)) return;
      linked.add(`${from} ${to}`);
      lines.push(`  ${from} ${arrow} ${to}`);
      linkStyles.push(style);
    };
    const shown = new Set(visible.map((i) => i.id));
    for (const i of visible) {
      for (const h of i.holders) {
        if (ownScopeOwner.has(h)) {
          if (shown.has(ownScopeOwner.get(h))) link(ownScopeOwner.get(h), "-. own scope .->", i.id, "own");
        } else if (shown.has(h)) {
          link(h, "==>", i.id, "dep");
        } else if (drawn.has(h) && home.get(i.id) !== h) {
          link(`${h}_holds`, "-->", i.id, "scope");
        }
      }
    }
    const colours = {
      dep: "stroke:#0f766e,stroke-width:2.5px",
      scope: "stroke:#64748b,stroke-width:1.5px",
      own: "stroke:#7c3aed,stroke-width:1.5px",
    };
    linkStyles.forEach((kind, n) => lines.push(`  linkStyle ${n} ${colours[kind]}`));

    for (const [name, lt] of Object.entries(LIFETIMES)) {
      lines.push(`  classDef ${name} fill:${lt.fill},stroke:${lt.stroke},color:${lt.text},stroke-width:2px`);
    }
    for (const [name, st] of Object.entries(STATES)) {
      if (st.stroke)
        lines.push(`  classDef ${name} stroke:${st.stroke},stroke-dasharray:${st.dash},stroke-width:2.5px`);
    }
    lines.push("  classDef more fill:#ffffff,stroke:#94a3b8,stroke-dasharray:4 3,color:#475569");
    lines.push("  classDef anchor fill:#f1f5f9,stroke:#94a3b8,color:#475569,font-size:11px");
    for (const i of visible) {
      lines.push(`  class ${i.id} ${i.lifetime}${STATES[i.state]?.stroke ? `,${i.state}` : ""}`);
    }
    for (const s of drawnScopes) {
      const style =
        s === root
          ? "fill:#ffffff,stroke:#334155,stroke-width:2px"
          : s.state !== "open"
            ? "fill:#fff7ed,stroke:#ea580c,stroke-width:1.5px,stroke-dasharray:5 3"
            : isRequest(s)
              ? "fill:#eff6ff,stroke:#60a5fa,stroke-width:1.5px"
              : "fill:#f8fafc,stroke:#94a3b8,stroke-width:1.5px";
      lines.push(`  style ${s.id} ${style}`);
    }
    return lines.join("\n");
  }

  /** `a, b, b, b` → `a, b ×3` */
  function countNames(names) {
    const counts = new Map();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    return [...counts].map(([n, k]) => (k > 1 ? `${n} ×${k}` : n)).join(", ");
  }

  function renderTables(g) {
    const { nameOf, root } = analyse(g);
    const depth = (s) => {
      let d = 0;
      for (let p = s.parent; p; p = g.scopes.find((x) => x.id === p)?.parent) d++;
      return d;
    };
    const held = (scopeId) => g.instances.filter((i) => i.holders.includes(scopeId)).map((i) => i.token);
    $("#scopes tbody").innerHTML = g.scopes
      .map((s) => {
        const holds = held(s.id);
        return `<tr class="${s.state}"><td style="padding-left:${0.5 + depth(s) * 1.1}rem">${html(nameOf(s.id))}${
          s === root ? ' <span class="muted">(root)</span>' : ""
        }</td><td><span class="pill state-${html(s.state)}">${html(s.state)}</span></td><td>${
          holds.length ? html(holds.join(", ")) : '<span class="muted">—</span>'
        }</td></tr>`;
      })
      .join("");
    $("#instances tbody").innerHTML = g.instances
      .map(
        (i) =>
          `<tr data-token="${html(i.token)}"><td><b>${html(i.token)}</b></td><td><span class="pill lifetime-${html(
            i.lifetime,
          )}">${html(i.lifetime)}</span></td><td><span class="pill state-${html(i.state)}">${html(i.state)}</span></td>` +
          `<td class="refs">${i.refCount}</td><td>${html(countNames(i.holders.map(nameOf)))}</td></tr>`,
      )
      .join("");
    $("#scope-count").textContent = `(${g.scopes.length})`;
    $("#instance-count").textContent = `(${g.instances.length})`;
    const requests = g.scopes.filter(isRequest).length;
    const db = g.instances.find((i) => i.token === "db");
    $("#stats").innerHTML = [
      `<b>${g.scopes.length}</b> scopes`,
      `<b>${g.instances.length}</b> instances`,
      `<b>${requests}</b> request${requests === 1 ? "" : "s"} in flight`,
      db ? `db refs <b>${db.refCount}</b>` : "db not open",
    ].join('<span class="dot">·</span>');
  }

  function renderLegend() {
    const lifetimes = Object.entries(LIFETIMES)
      .map(
        ([name, lt]) =>
          `<span class="key"><span class="swatch ${name}" style="background:${lt.fill};border-color:${lt.stroke}"></span><b>${name}</b> <span class="muted">${lt.about}</span></span>`,
      )
      .join("");
    const states = Object.entries(STATES)
      .map(
        ([name, st]) =>
          `<span class="key"><span class="swatch" style="border-color:${st.stroke ?? "#334155"};border-style:${
            st.dash && st.dash !== "0" ? "dashed" : "solid"
          }"></span><b>${name}</b> <span class="muted">${st.about}</span></span>`,
      )
      .join("");
    $("#legend").innerHTML = `
      <div><span class="legend-title">lifetimes</span>${lifetimes}</div>
      <div><span class="legend-title">states</span>${states}</div>
      <div><span class="legend-title">arrows</span>
        <span class="key"><span class="arrow scope"></span>a scope holds it</span>
        <span class="key"><span class="arrow dep"></span>an instance holds its dependency</span>
        <span class="key"><span class="arrow own"></span>resolved later through the instance's own scope</span>
        <span class="key"><span class="muted">boxes are scopes, a scoped instance sits in the scope that owns it; shared instances stand outside, the container owns them; <b>refs</b> counts references</span></span>
      </div>`;
  }

  async function tick(force = false) {
    if ((paused && !force) || busy) return;
    busy = true;
    try {
      const res = await fetch("/_lifetimes", { cache: "no-store" }).catch(() => undefined);
      if (!res?.ok) throw new Error(res ? `server answered ${res.status}` : "server unreachable");
      const g = await res.json();
      statusEl.textContent = paused ? "paused" : "live";
      statusEl.className = `status ${paused ? "paused" : "live"}`;
      const key = `${view}\n${JSON.stringify(g)}`;
      if (key === lastKey && !force) return;
      renderTables(g);
      const text =
        view === "styled"
          ? diagram(g)
          : await (await fetch("/_lifetimes/graph.mmd", { cache: "no-store" })).text();
      const { svg } = await mermaid.render(`lifetimes-${++renders}`, text);
      graphEl.innerHTML = svg;
      graphEl.dataset.renders = String(renders);
      lastKey = key;
      window.lifetimes = { snapshot: g, mermaid: text, renders };
    } catch (err) {
      statusEl.textContent = err.message;
      statusEl.className = "status down";
    } finally {
      busy = false;
    }
  }

  $("#pause").addEventListener("click", () => {
    paused = !paused;
    $("#pause").textContent = paused ? "resume" : "pause";
    statusEl.textContent = paused ? "paused" : "live";
    statusEl.className = `status ${paused ? "paused" : "live"}`;
  });
  $("#view").value = view;
  $("#view").addEventListener("change", (e) => {
    view = e.target.value;
    void tick(true);
  });
  const tryResult = $("#try-result");
  const tries = {
    slow: () =>
      Promise.all(Array.from({ length: 5 }, () => fetch("/slow?ms=4000"))).then(() => "5 slow requests done"),
    reindex: () =>
      fetch("/admin/reindex?holdMs=4000", { method: "POST" })
        .then((r) => r.json())
        .then((r) => `reindex: ${r.indexed} indexed, ${r.skipped?.length ?? 0} skipped`),
    crash: () =>
      fetch("/notes/import?crashAfter=1", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ title: "first" }, { title: "second" }]),
      })
        .then((r) => r.json())
        .then((r) => `import crashed: incident #${r.incident}, rolled back`),
  };
  for (const button of document.querySelectorAll("[data-try]")) {
    button.addEventListener("click", () => {
      tryResult.textContent = "running…";
      tries[button.dataset.try]().then(
        (msg) => (tryResult.textContent = msg),
        (err) => (tryResult.textContent = `failed: ${err.message}`),
      );
    });
  }

  renderLegend();
  void tick();
  setInterval(() => void tick(), intervalMs);
})();
