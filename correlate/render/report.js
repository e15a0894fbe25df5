(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("bsrcorr-data").textContent);
  // The page's words in the reader's language, keyed by their English (report.py
  // SCRIPT_TEXT); {name} in a template is filled from vals.
  const WORDS = D.words || {};
  const T = (key, vals) => (WORDS[key] || key).replace(/\{(\w+)\}/g,
    (m, name) => (vals && name in vals ? String(vals[name]) : m));
  const PAGE = 500;
  // The data come compact (see report.py _timeline_table): times as differences from the
  // row before, messages maybe as codes into a list of distinct ones, offsets implied.
  const sums = (d) => {
    const out = new Array(d.length);
    let acc = 0;
    for (let i = 0; i < d.length; i++) {
      if (d[i] === null) { out[i] = null; } else { acc += d[i]; out[i] = acc; }
    }
    return out;
  };
  D.time = sums(D.time);
  D.local = sums(D.local);
  D.rawOrder = sums(D.rawOrder);
  if (D.msgCode) D.msg = D.msgCode.map((c) => D.msgs[c]);
  const n = D.msg.length;
  // Rows a clock step may lie on either side of, with the step's number.
  const UNSURE = new Map((D.unsure || []).map((r, k) => [r, D.unsureStep[k]]));
  // offset_s = local time - aligned time, to the 100 ns both show.
  const offset = (i) => D.offset ? D.offset[i]
    : (D.unaligned[D.node[i]] || D.time[i] === null || D.local[i] === null) ? null
    : ((D.local[i] - D.time[i]) / 1e7).toFixed(7);
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
    $("th-main").textContent = raw ? T("local time (raw, uncorrected)") : T("time (aligned)");
    $("th-second").textContent = raw ? T("aligned time") : T("local time");
    $("mode").textContent = raw
      ? T("RAW: each node's own clock, as logged, merged without correction.")
      : T("Aligned: every node on the reference clock (local time minus offset_s).");
    const pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    $("pageinfo").textContent = " " + T("page {page} of {pages} ({shown} of {total} rows)", {
      page: state.page + 1, pages: pages, shown: state.shown.length.toLocaleString("en"),
      total: n.toLocaleString("en"),
    }) + " ";
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
      const off = offset(i);
      t1.title = T("offset_s {offset}", { offset: off === null ? T("none (unaligned)") : off });
      if (UNSURE.has(i)) {
        t1.textContent += " ~";
        t1.title += "\n" + T("~ between clock step {step}'s last evidence before it and first after it: its offset lies between the two segments' (alignment.json steps)", { step: UNSURE.get(i) });
      }
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
  // The rows passing the filters, in the order shown, as CSV (RFC 4180: fields with a
  // quote, comma or line break quoted, quotes doubled, CRLF line ends), downloaded from a
  // blob: URL made here (nothing leaves the machine).
  const CSV_HEAD = ["time", "node", "local_time", "offset_s", "level", "category", "index",
    "event", "file", "line", "seq", "message"];
  const quote = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const iso = (d) => d === null || d === undefined ? "" : fmt(d).replace(" ", "T");
  function csv() {
    const lines = [CSV_HEAD.join(",")];
    for (const i of state.shown) {
      lines.push([iso(D.time[i]), D.nodes[D.node[i]], iso(D.local[i]), offset(i),
        D.levels[D.level[i]], D.categories[D.cat[i]], D.idx[i], D.kinds[D.kind[i]],
        D.files[D.file[i]], D.line[i], D.seq[i], D.msg[i]].map(quote).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }
  $("csv").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([csv()], { type: "text/csv;charset=utf-8" }));
    const a = el("a");
    a.href = url;
    a.download = "timeline-filtered.csv";
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  });
  ["level", "cat", "kind", "raw"].forEach((id) => $(id).addEventListener("change", apply));
  let timer = 0;
  $("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 150); });
  $("prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); draw(); });
  $("next").addEventListener("click", () => { state.page += 1; draw(); });
  window.addEventListener("hashchange", goto);
  $("tl").hidden = false;
  apply();
  goto();

  // Diagrams stored compressed (data-svgz: gzip, base64) are expanded when their episode
  // is opened; the SVG is parsed as XML and imported, never set as HTML.
  async function expand(div) {
    const packed = div.dataset.svgz;
    if (!packed) return;
    delete div.dataset.svgz;
    const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const text = await new Response(stream).text();
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const svg = doc.documentElement;
    if (svg.nodeName !== "svg") { div.append(el("p", T("(diagram could not be read)"), "sub")); return; }
    div.append(document.importNode(svg, true));
  }
  document.querySelectorAll("section.episode > details").forEach((d) => {
    d.addEventListener("toggle", () => {
      if (d.open) d.querySelectorAll(".diagram[data-svgz]").forEach(expand);
    });
  });
  // A link to an episode (the overview, the lists) opens it.
  function openEpisode() {
    const m = /^#(episode-[\w.-]+)$/.exec(location.hash);
    const target = m && document.getElementById(m[1]);
    const d = target && target.querySelector(":scope > details");
    if (d && !d.open) { d.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openEpisode);
  openEpisode();
  // Print and a whole-page PDF (report.html#all, bsrcorr --pdf) show every episode.
  const openAll = () => document.querySelectorAll("section.episode > details")
    .forEach((d) => { d.open = true; });
  window.addEventListener("beforeprint", openAll);
  if (location.hash === "#all") openAll();
})();
