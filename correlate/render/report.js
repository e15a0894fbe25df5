(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("bsrcorr-data").textContent);
  const PAGE = 500;
  const n = D.msg.length;
  const DAY = 864e9;
  const pad = (v, w) => String(v).padStart(w, "0");
  function fmt(d) {
    if (d === null || d === undefined) return "-";
    const day = Math.floor(d / DAY);
    const rem = d - day * DAY;
    const date = new Date((D.baseDay + day) * 86400000).toISOString().slice(0, 10);
    const h = Math.floor(rem / 36e9), m = Math.floor(rem / 6e8) % 60,
      s = Math.floor(rem / 1e7) % 60, f = rem % 1e7;
    return date + " " + pad(h, 2) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(f, 7);
  }
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const $ = (id) => document.getElementById(id);
  const aligned = [...Array(n).keys()];
  const state = { page: 0, order: aligned, shown: aligned, hit: -1 };
  const nodeOn = D.nodes.map(() => true);
  D.nodes.forEach((name, i) => {
    const lab = el("label");
    const box = el("input");
    box.type = "checkbox"; box.checked = true;
    box.addEventListener("change", () => { nodeOn[i] = box.checked; apply(); });
    const badge = el("span", name, "badge n" + Math.min(i, 4));
    lab.append(box, " ", badge);
    $("nodefilter").append(lab, " ");
  });
  D.levels.forEach((v) => { if (v) $("level").append(new Option(v, v)); });
  D.categories.forEach((v) => { if (v) $("cat").append(new Option(v, v)); });
  D.kinds.forEach((v) => { if (v) $("kind").append(new Option(v, v)); });
  const warnish = new Set(["warn", "erro", "crit", "emer", "aler"]);
  function apply() {
    const lv = $("level").value, cat = $("cat").value, kind = $("kind").value;
    const q = $("q").value.trim().toLowerCase();
    const raw = $("raw").checked;
    state.order = raw ? D.rawOrder : aligned;
    state.shown = state.order.filter((i) => {
      if (!nodeOn[D.node[i]]) return false;
      const level = D.levels[D.level[i]];
      if (lv === "!warn" ? !warnish.has(level) : lv && level !== lv) return false;
      if (cat && D.categories[D.cat[i]] !== cat) return false;
      const k = D.kinds[D.kind[i]];
      if (kind === "!any" ? (k === "" || k === "unparsed") : kind && k !== kind) return false;
      if (q && D.msg[i].toLowerCase().indexOf(q) < 0 &&
          D.nodes[D.node[i]].toLowerCase().indexOf(q) < 0) return false;
      return true;
    });
    state.page = 0;
    draw();
  }
  function draw() {
    const raw = $("raw").checked;
    document.body.classList.toggle("mode-raw", raw);
    $("th-main").textContent = raw ? "local time (raw, uncorrected)" : "time (aligned)";
    $("th-second").textContent = raw ? "aligned time" : "local time";
    $("mode").textContent = raw
      ? "RAW: each node's own clock, as logged, merged without correction."
      : "Aligned: every node on the reference clock (local time minus offset_s).";
    const pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    $("pageinfo").textContent = " page " + (state.page + 1) + " of " + pages + " (" +
      state.shown.length.toLocaleString() + " of " + n.toLocaleString() + " rows) ";
    const body = document.createElement("tbody");
    for (const i of state.shown.slice(state.page * PAGE, (state.page + 1) * PAGE)) {
      const level = D.levels[D.level[i]];
      const k = D.kinds[D.kind[i]];
      const tr = el("tr");
      tr.className = "lvl-" + level + (k === "unparsed" ? " unparsed" : "") +
        (i === state.hit ? " hit" : "");
      tr.dataset.row = i;
      const main = raw ? D.local[i] : D.time[i], second = raw ? D.time[i] : D.local[i];
      const t1 = el("td", fmt(main), "t");
      t1.title = "offset_s " + (D.offset[i] === null ? "none (unaligned)" : D.offset[i]);
      const nd = el("td"); nd.append(el("span", D.nodes[D.node[i]], "badge n" + Math.min(D.node[i], 4)));
      const cat = D.categories[D.cat[i]];
      const where = el("td", cat ? cat + ":" + D.idx[i] : "-");
      where.title = D.files[D.file[i]] + ":" + D.line[i] + (D.seq[i] === null ? "" : " #" + D.seq[i]);
      const ev = el("td", k, "ev");
      if (D.explain[k]) ev.title = D.explain[k];
      tr.append(t1, nd, el("td", fmt(second), "t"), el("td", level || "-", "lv"), where, ev,
        el("td", D.msg[i], "msg"));
      body.append(tr);
    }
    $("rows").replaceChild(body, $("rows").tBodies[0]);
  }
  function goto() {
    const m = /^#row-(\d+)$/.exec(location.hash);
    if (!m) return;
    const i = Number(m[1]);
    if (i >= n) return;
    let pos = state.shown.indexOf(i);
    if (pos < 0) {  // filtered out: clear the filters to show it
      $("level").value = ""; $("cat").value = ""; $("kind").value = ""; $("q").value = "";
      document.querySelectorAll("#nodefilter input").forEach((b, k) => { b.checked = true; nodeOn[k] = true; });
      apply();
      pos = state.shown.indexOf(i);
    }
    state.hit = i;
    state.page = Math.floor(pos / PAGE);
    draw();
    const row = document.querySelector('#rows tr[data-row="' + i + '"]');
    if (row) row.scrollIntoView({ block: "center" });
  }
  ["level", "cat", "kind", "raw"].forEach((id) => $(id).addEventListener("change", apply));
  let timer = 0;
  $("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 150); });
  $("prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); draw(); });
  $("next").addEventListener("click", () => { state.page += 1; draw(); });
  window.addEventListener("hashchange", goto);
  $("tl").hidden = false;
  apply();
  goto();
})();
